"""The only wording the code reads: CloudFormation's messages for three situations."""

from __future__ import annotations

import pytest

from awskit.errors import AccessDeniedError, InvalidInputError
from driftwarden.cfn_messages import busy_stack_status, failed_resources, is_detection_in_progress

STACK = "arn:aws:cloudformation:eu-west-1:111111111111:stack/app/1"


@pytest.mark.parametrize(
    ("error", "in_progress", "busy"),
    [
        (InvalidInputError(f"Drift detection is already in progress for stack [{STACK}]."),
         True, None),
        (InvalidInputError(f"Stack [{STACK}] is in UPDATE_IN_PROGRESS state and can not be "
                           "checked for drift"), False, "UPDATE_IN_PROGRESS"),
        (InvalidInputError("Stack with id app does not exist"), False, None),
        # The same words under another error type are not these situations.
        (AccessDeniedError("Drift detection is already in progress"), False, None),
        (AccessDeniedError(f"Stack [{STACK}] is in UPDATE_IN_PROGRESS state"), False, None),
    ],
)  # fmt: skip
def test_situations_are_recognised_by_type_and_wording(
    error: InvalidInputError | AccessDeniedError, in_progress: bool, busy: str | None
) -> None:
    assert is_detection_in_progress(error) is in_progress
    assert busy_stack_status(error) == busy


def test_failed_resources_are_read_from_the_status_reason() -> None:
    reason = (
        "Failed to detect drift on resource [Topic]: Internal failure; "
        "Failed to detect drift on resource [Key]: Access denied to kms:DescribeKey"
    )
    assert failed_resources(reason) == {
        "Topic": "Internal failure",
        "Key": "Access denied to kms:DescribeKey",
    }
    assert failed_resources(None) == {}
    assert failed_resources("Stack has no resources") == {}
