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
