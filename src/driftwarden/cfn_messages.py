"""The one place that reads CloudFormation's message text, because nothing else says it.

CloudFormation answers several distinct situations with the same error code, ValidationError,
and reports which resources a failed drift detection could not check only in free text. Every
other module branches on error codes and types (awskit.errors); only these helpers look at
wording, and each says which situation it recognises. Tests pin them against the emulator,
whose messages follow AWS's.
"""

from __future__ import annotations

import re

from awskit.errors import AwsKitError, InvalidInputError

_IN_PROGRESS = re.compile(r"drift detection is already in progress", re.IGNORECASE)
_BUSY = re.compile(r"\bis in (?P<status>[A-Z_]+_IN_PROGRESS) state\b")
_FAILED_RESOURCE = re.compile(
    r"Failed to detect drift on resource \[(?P<logical_id>[^\]]+)\]:\s*(?P<reason>[^;]*)"
)


def is_detection_in_progress(error: AwsKitError) -> bool:
    """DetectStackDrift refused because a detection of the stack is already running
    (ValidationError "Drift detection is already in progress for stack [...]")."""
    return isinstance(error, InvalidInputError) and bool(_IN_PROGRESS.search(error.message))


def busy_stack_status(error: AwsKitError) -> str | None:
    """The *_IN_PROGRESS status when DetectStackDrift refused a stack that is being changed
    (ValidationError "Stack [...] is in UPDATE_IN_PROGRESS state and can not be checked...")."""
    if not isinstance(error, InvalidInputError):
        return None
    match = _BUSY.search(error.message)
    return match["status"] if match else None


def failed_resources(detection_status_reason: str | None) -> dict[str, str]:
    """Logical id -> reason for each resource a DETECTION_FAILED status reason names."""
    if not detection_status_reason:
        return {}
    return {
        match["logical_id"]: match["reason"].strip()
        for match in _FAILED_RESOURCE.finditer(detection_status_reason)
    }
