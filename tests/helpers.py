"""Small builders shared by tests."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def client_error(
    code: str, status: int = 400, message: str = "message", operation: str = "Operation"
) -> ClientError:
    """A ClientError as botocore builds it from an AWS error response."""
    # Only the fields the code reads; botocore's TypedDict wants headers etc. too.
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1234"},
    }
    return ClientError(response, operation)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SequenceRandom:
    """random() returning the given values in turn (then repeating the last)."""

    def __init__(self, *values: float) -> None:
        self._values = list(values)

    def __call__(self) -> float:
        return self._values.pop(0) if len(self._values) > 1 else self._values[0]


def stack_result(
    state: str = "IN_SYNC",
    *,
    stack_name: str = "app",
    account_id: str = "111111111111",
    region: str = "eu-west-1",
    checked_at: str = "2026-11-01T10:00:00+00:00",
    drifted: dict[str, str] | None = None,
    padding: int = 0,
) -> Any:
    """A StackResult; `drifted` maps logical ids of drifted queues to their actual
    VisibilityTimeout, and `padding` adds that many characters to each actual value."""
    from datetime import datetime

    from driftwarden.models import (
        Coverage,
        PropertyDifference,
        ResourceDrift,
        ResourceStatus,
        StackResult,
        StackState,
    )

    where = {"account_id": account_id, "region": region, "stack_name": stack_name}
    resources = [
        ResourceDrift(
            stack_name=stack_name,
            logical_resource_id=logical_id,
            resource_type="AWS::SQS::Queue",
            status=ResourceStatus.MODIFIED,
            differences=[
                PropertyDifference(
                    **where,
                    logical_resource_id=logical_id,
                    resource_type="AWS::SQS::Queue",
                    property_path="/VisibilityTimeout",
                    difference_type="NOT_EQUAL",
                    expected_value="60",
                    actual_value=actual + "x" * padding,
                )
            ],
        )
        for logical_id, actual in (drifted or {}).items()
    ]
    return StackResult(
        account_id=account_id,
        region=region,
        stack_name=stack_name,
        stack_id=f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/1",
        stack_status="UPDATE_COMPLETE",
        state=StackState(state),
        checked_at=datetime.fromisoformat(checked_at),
        detection_status="DETECTION_COMPLETE",
        coverage=Coverage(checked=len(resources) + 1),
        resources=resources,
    )
