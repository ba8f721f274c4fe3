"""CloudFormation drift detection for moto, behaving like AWS.

DetectStackDrift starts an asynchronous detection that stays DETECTION_IN_PROGRESS for
`SETTINGS.detection_seconds`; a second one on the same stack meanwhile is refused as AWS refuses
it. When it completes, each resource's template properties (resolved by moto's own template
engine) are compared with the resource's live state in the stack's account (see live_state.py).
Only properties written in the template are compared, as AWS does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import clean_json
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.exceptions import ServiceException

from emulator.live_state import READERS

NOT_CHECKED = "NOT_CHECKED"


@dataclass
class DriftSettings:
    """Knobs for tests and benchmarks."""

    detection_seconds: float = 0.0
    clock: Callable[[], float] = time.monotonic
    # Resource type -> reason: detection on such resources fails (DETECTION_FAILED, partial).
    failing_resource_types: dict[str, str] = field(default_factory=dict)
    # Detections one account-region may run at once; more are refused with LimitExceeded.
    max_concurrent_detections: int | None = None


SETTINGS = DriftSettings()


class DriftValidationError(ServiceException):
    """CloudFormation's ValidationError (defined here so moto serialises it for CloudFormation)."""

    code = "ValidationError"


class DriftLimitExceeded(ServiceException):
    code = "LimitExceededException"


@dataclass
class Detection:
    detection_id: str
    stack: Stack
    logical_ids: list[str] | None
    started_at: float
    status: str = "DETECTION_IN_PROGRESS"
    stack_drift_status: str | None = None
    reason: str | None = None
    drifted_count: int | None = None
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class DriftStore:
    """Drift state of one account-region, kept on moto's CloudFormation backend so it resets
    with moto."""

    detections: dict[str, Detection] = field(default_factory=dict)
    running: dict[str, str] = field(default_factory=dict)  # stack id -> detection id
    resource_drifts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    stack_status: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)


def store_for(backend: CloudFormationBackend) -> DriftStore:
    store: DriftStore | None = getattr(backend, "_driftwarden_drift", None)
    if store is None:
        store = DriftStore()
        backend._driftwarden_drift = store  # type: ignore[attr-defined]
    return store


# --- comparison ----------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _sorted_tags(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(t, dict) and "Key" in t for t in value):
        return sorted(value, key=lambda tag: str(tag["Key"]))
    return value


def property_differences(expected: Any, actual: Any, path: str = "") -> list[dict[str, str]]:
    """PropertyDifferences between two property trees, with JSON-pointer-like paths."""
    if path.endswith("/Tags"):
        expected, actual = _sorted_tags(expected), _sorted_tags(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        differences = []
        for key, value in expected.items():
            child = f"{path}/{key}"
            if key not in actual:
                differences.append(_difference(child, value, None, "REMOVE"))
            else:
                differences.extend(property_differences(value, actual[key], child))
        for key in actual.keys() - expected.keys():
            differences.append(_difference(f"{path}/{key}", None, actual[key], "ADD"))
        return differences
    if isinstance(expected, list) and isinstance(actual, list):
        differences = []
        for index, value in enumerate(expected):
            child = f"{path}/{index}"
            if index >= len(actual):
                differences.append(_difference(child, value, None, "REMOVE"))
            else:
                differences.extend(property_differences(value, actual[index], child))
        for index in range(len(expected), len(actual)):
            differences.append(_difference(f"{path}/{index}", None, actual[index], "ADD"))
        return differences
    if _scalar(expected) != _scalar(actual):
        return [_difference(path, expected, actual, "NOT_EQUAL")]
    return []


def _difference(path: str, expected: Any, actual: Any, kind: str) -> dict[str, str]:
    difference = {"PropertyPath": path, "DifferenceType": kind}
    if expected is not None:
        difference["ExpectedValue"] = _scalar(expected)
    if actual is not None:
        difference["ActualValue"] = _scalar(actual)
    return difference


def resource_drift(stack: Stack, logical_id: str, checked_at: datetime) -> dict[str, Any]:
    """One StackResourceDrift for a resource of `stack`, read now."""
    resource = stack.resource_map[logical_id]
    resource_json = stack.template_dict.get("Resources", {}).get(logical_id, {})
    resource_type = resource_json.get("Type", "")
    drift: dict[str, Any] = {
        "StackId": stack.stack_id,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": getattr(resource, "physical_resource_id", "") or "",
        "ResourceType": resource_type,
        "Timestamp": checked_at,
        "PropertyDifferences": [],
    }
    reader = READERS.get(resource_type)
    if reader is None or resource_type in SETTINGS.failing_resource_types:
        drift["StackResourceDriftStatus"] = NOT_CHECKED
        return drift

    expected = clean_json(resource_json.get("Properties", {}), stack.resource_map)
    drift["ExpectedProperties"] = json.dumps(expected, sort_keys=True, default=str)
    live = reader(stack.account_id, stack.region_name, drift["PhysicalResourceId"])
    if live is None:
        drift["StackResourceDriftStatus"] = "DELETED"
        return drift

    # Only properties written in the template, and that the reader knows, are compared.
    compared = {key: value for key, value in expected.items() if key in live}
    live_compared = {key: live[key] for key in compared}
    actual = {**expected, **live_compared}
    differences = property_differences(compared, live_compared)
    drift["ActualProperties"] = json.dumps(actual, sort_keys=True, default=str)
    drift["PropertyDifferences"] = differences
    drift["StackResourceDriftStatus"] = "MODIFIED" if differences else "IN_SYNC"
    return drift


# --- detections ----------------------------------------------------------------------------------


def _complete(store: DriftStore, detection: Detection) -> None:
    stack = detection.stack
    logical_ids = detection.logical_ids or list(stack.resource_map.resources)
    checked_at = datetime.now(UTC)
    drifts = [resource_drift(stack, logical_id, checked_at) for logical_id in logical_ids]
    failed = [drift for drift in drifts if drift["ResourceType"] in SETTINGS.failing_resource_types]
    drifted = [d for d in drifts if d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED")]
    detection.drifted_count = len(drifted)
    detection.stack_drift_status = "DRIFTED" if drifted else "IN_SYNC"
    detection.timestamp = checked_at
    if failed:
        detection.status = "DETECTION_FAILED"
        detection.reason = "; ".join(
            f"Failed to detect drift on resource [{d['LogicalResourceId']}]: "
            f"{SETTINGS.failing_resource_types[d['ResourceType']]}"
            for d in failed
        )
    else:
        detection.status = "DETECTION_COMPLETE"
    known = store.resource_drifts.setdefault(stack.stack_id, {})
    for drift in drifts:
        known[drift["LogicalResourceId"]] = drift
    overall = any(d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED") for d in known.values())
    store.stack_status[stack.stack_id] = ("DRIFTED" if overall else "IN_SYNC", checked_at)
    store.running.pop(stack.stack_id, None)


def _complete_due(store: DriftStore) -> None:
    now = SETTINGS.clock()
    for detection_id in list(store.running.values()):
        detection = store.detections[detection_id]
        if now - detection.started_at >= SETTINGS.detection_seconds:
            _complete(store, detection)


def detect_stack_drift(
    backend: CloudFormationBackend, stack_name: str, logical_ids: list[str] | None
) -> str:
    store = store_for(backend)
    with store.lock:
        _complete_due(store)
        stack = backend.get_stack(stack_name)
        if stack.status.endswith("_IN_PROGRESS") or stack.status == "DELETE_COMPLETE":
            raise DriftValidationError(
                f"Stack [{stack.stack_id}] is in {stack.status} state and can not be checked "
                "for drift"
            )
        if stack.stack_id in store.running:
            raise DriftValidationError(
                f"Drift detection is already in progress for stack [{stack.stack_id}]."
            )
        limit = SETTINGS.max_concurrent_detections
        if limit is not None and len(store.running) >= limit:
            raise DriftLimitExceeded(
                f"Account limit of {limit} concurrent drift detections reached"
            )
        unknown = [lid for lid in logical_ids or [] if lid not in stack.resource_map.resources]
        if unknown:
            raise DriftValidationError(f"Resources {unknown} do not exist in stack {stack.name}")
        detection = Detection(
            detection_id=str(uuid.uuid4()),
            stack=stack,
            logical_ids=logical_ids or None,
            started_at=SETTINGS.clock(),
        )
        store.detections[detection.detection_id] = detection
        store.running[stack.stack_id] = detection.detection_id
        if SETTINGS.detection_seconds <= 0:
            _complete(store, detection)
        return detection.detection_id


def detection_status(backend: CloudFormationBackend, detection_id: str) -> dict[str, Any]:
    store = store_for(backend)
    with store.lock:
        _complete_due(store)
        detection = store.detections.get(detection_id)
        if detection is None:
            raise DriftValidationError(f"Drift detection [{detection_id}] does not exist")
        status: dict[str, Any] = {
            "StackId": detection.stack.stack_id,
            "StackDriftDetectionId": detection.detection_id,
            "DetectionStatus": detection.status,
            "Timestamp": detection.timestamp,
        }
        if detection.status != "DETECTION_IN_PROGRESS":
            status["StackDriftStatus"] = detection.stack_drift_status
            status["DriftedStackResourceCount"] = detection.drifted_count
        if detection.reason:
            status["DetectionStatusReason"] = detection.reason
        return status


def resource_drifts(
    backend: CloudFormationBackend, stack_name: str, status_filters: list[str]
) -> list[dict[str, Any]]:
    store = store_for(backend)
    with store.lock:
        _complete_due(store)
        stack = backend.get_stack(stack_name)
        drifts = list(store.resource_drifts.get(stack.stack_id, {}).values())
    if status_filters:
        drifts = [d for d in drifts if d["StackResourceDriftStatus"] in status_filters]
    return sorted(drifts, key=lambda d: str(d["LogicalResourceId"]))


def detect_resource_drift(
    backend: CloudFormationBackend, stack_name: str, logical_id: str
) -> dict[str, Any]:
    store = store_for(backend)
    with store.lock:
        stack = backend.get_stack(stack_name)
        if logical_id not in stack.resource_map.resources:
            raise DriftValidationError(
                f"Resource {logical_id} does not exist for stack {stack.name}"
            )
        drift = resource_drift(stack, logical_id, datetime.now(UTC))
        store.resource_drifts.setdefault(stack.stack_id, {})[logical_id] = drift
        return drift


def stack_drift_information(backend: CloudFormationBackend, stack: Stack) -> dict[str, Any]:
    store = store_for(backend)
    with store.lock:
        _complete_due(store)
        known = store.stack_status.get(stack.stack_id)
    if known is None:
        return {"StackDriftStatus": NOT_CHECKED}
    return {"StackDriftStatus": known[0], "LastCheckTimestamp": known[1]}


def resource_drift_information(
    backend: CloudFormationBackend, stack: Stack, logical_id: str
) -> dict[str, Any]:
    store = store_for(backend)
    with store.lock:
        drift = store.resource_drifts.get(stack.stack_id, {}).get(logical_id)
    if drift is None:
        return {"StackResourceDriftStatus": NOT_CHECKED}
    return {
        "StackResourceDriftStatus": drift["StackResourceDriftStatus"],
        "LastCheckTimestamp": drift["Timestamp"],
    }


# --- moto response methods -----------------------------------------------------------------------
# moto calls a response method by the action's name and serialises the returned dict with the
# botocore model, so these need no XML.


def _detect_stack_drift(self: CloudFormationResponse) -> Any:
    from moto.core.responses import ActionResult

    detection_id = detect_stack_drift(
        self.cloudformation_backend,
        self._get_param("StackName"),
        self._get_param("LogicalResourceIds") or None,
    )
    return ActionResult({"StackDriftDetectionId": detection_id})


def _describe_stack_drift_detection_status(self: CloudFormationResponse) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(
        detection_status(self.cloudformation_backend, self._get_param("StackDriftDetectionId"))
    )


def _describe_stack_resource_drifts(self: CloudFormationResponse) -> Any:
    from moto.core.responses import ActionResult

    max_results = int(self._get_param("MaxResults") or 100)
    if not 1 <= max_results <= 100:
        raise DriftValidationError("MaxResults must be between 1 and 100")
    drifts = resource_drifts(
        self.cloudformation_backend,
        self._get_param("StackName"),
        self._get_param("StackResourceDriftStatusFilters") or [],
    )
    token = self._get_param("NextToken")
    start = int(token) if token and token.isdigit() else 0
    page = drifts[start : start + max_results]
    result: dict[str, Any] = {"StackResourceDrifts": page}
    if start + max_results < len(drifts):
        result["NextToken"] = str(start + max_results)
    return ActionResult(result)


def _detect_stack_resource_drift(self: CloudFormationResponse) -> Any:
    from moto.core.responses import ActionResult

    drift = detect_resource_drift(
        self.cloudformation_backend,
        self._get_param("StackName"),
        self._get_param("LogicalResourceId"),
    )
    return ActionResult({"StackResourceDrift": drift})


def _list_stack_resources(self: CloudFormationResponse) -> Any:
    from moto.core.responses import ActionResult

    backend = self.cloudformation_backend
    stack, resources = backend.list_stack_resources(self._get_param("StackName"))
    summaries = [
        {
            "ResourceStatus": "CREATE_COMPLETE",
            "LogicalResourceId": getattr(resource, "logical_resource_id", ""),
            "LastUpdatedTimestamp": stack.creation_time,
            "PhysicalResourceId": getattr(resource, "physical_resource_id", ""),
            "ResourceType": getattr(resource, "cf_resource_type", ""),
            "DriftInformation": resource_drift_information(
                backend, stack, getattr(resource, "logical_resource_id", "")
            ),
        }
        for resource in resources
    ]
    return ActionResult({"StackResourceSummaries": summaries})


def _stack_drift_information(self: Stack) -> dict[str, Any]:
    from moto.cloudformation.models import cloudformation_backends

    return stack_drift_information(cloudformation_backends[self.account_id][self.region_name], self)


_installed = False


def install() -> None:
    """Teach moto's CloudFormation the drift actions (idempotent, process-wide)."""
    global _installed
    if _installed:
        return
    from emulator.provisioning import install as install_provisioning

    CloudFormationResponse.detect_stack_drift = _detect_stack_drift  # type: ignore[attr-defined]
    CloudFormationResponse.describe_stack_drift_detection_status = (  # type: ignore[attr-defined]
        _describe_stack_drift_detection_status
    )
    CloudFormationResponse.describe_stack_resource_drifts = (  # type: ignore[attr-defined]
        _describe_stack_resource_drifts
    )
    CloudFormationResponse.detect_stack_resource_drift = (  # type: ignore[attr-defined]
        _detect_stack_resource_drift
    )
    CloudFormationResponse.list_stack_resources = _list_stack_resources  # type: ignore[method-assign]
    Stack.drift_information = property(_stack_drift_information)  # type: ignore[attr-defined]
    install_provisioning()
    _installed = True
