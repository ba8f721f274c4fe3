"""From CloudFormation's answers to results: resources, coverage, verdict, nested roll-up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from driftwarden.ignore_rules import IgnoreRule, apply_ignore_rules
from driftwarden.models import (
    Coverage,
    ErrorInfo,
    NestedStack,
    PropertyDifference,
    ResourceDrift,
    ResourceStatus,
    StackResult,
    StackState,
)

_COVERAGE_FIELD = {
    ResourceStatus.IN_SYNC: "checked",
    ResourceStatus.MODIFIED: "checked",
    ResourceStatus.DELETED: "checked",
    ResourceStatus.NOT_CHECKED: "not_checked",
    ResourceStatus.UNKNOWN: "unknown",
    ResourceStatus.UNSUPPORTED: "unsupported",
    ResourceStatus.FAILED: "failed",
}


@dataclass
class StackCheck:
    """The check of one stack (root or nested), before roll-up."""

    stack_name: str
    stack_id: str
    stack_status: str
    detection_status: str
    detection_reason: str | None = None
    detection_seconds: float = 0.0
    resources: list[ResourceDrift] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    error: ErrorInfo | None = None

    @property
    def state(self) -> StackState:
        return verdict(self.resources, self.coverage, failed=self.error is not None)


def verdict(resources: Sequence[ResourceDrift], coverage: Coverage, *, failed: bool) -> StackState:
    if any(resource.drifted for resource in resources):
        return StackState.DRIFTED
    if failed:
        return StackState.FAILED
    if coverage.unchecked and not coverage.checked:
        return StackState.NOT_CHECKED
    if coverage.unchecked:
        return StackState.PARTIAL
    return StackState.IN_SYNC


def read_resources(
    where: Mapping[str, str],
    drifts: Iterable[Mapping[str, Any]],
    failed: Mapping[str, str],
    rules: Sequence[IgnoreRule],
    today: date,
) -> tuple[list[ResourceDrift], Coverage]:
    """ResourceDrifts for what is not plainly IN_SYNC, and the coverage of all of them.

    `where` holds account_id, region and stack_name; `failed` maps the logical ids a
    DETECTION_FAILED named to their reasons (those count as failed, not as unchecked).
    """
    counts = dict.fromkeys(Coverage.model_fields, 0)
    resources = []
    for drift in drifts:
        logical_id = drift["LogicalResourceId"]
        status = ResourceStatus(drift["StackResourceDriftStatus"])
        if logical_id in failed:
            status = ResourceStatus.FAILED
        counts[_COVERAGE_FIELD[status]] += 1
        if status is ResourceStatus.IN_SYNC:
            continue
        differences = [
            PropertyDifference(
                **where,
                logical_resource_id=logical_id,
                resource_type=drift["ResourceType"],
                property_path=difference["PropertyPath"],
                difference_type=difference["DifferenceType"],
                expected_value=difference.get("ExpectedValue"),
                actual_value=difference.get("ActualValue"),
            )
            for difference in drift.get("PropertyDifferences", [])
        ]
        resources.append(
            ResourceDrift(
                stack_name=where["stack_name"],
                logical_resource_id=logical_id,
                physical_resource_id=drift.get("PhysicalResourceId", ""),
                resource_type=drift["ResourceType"],
                status=status,
                differences=apply_ignore_rules(differences, rules, today),
                failure_reason=failed.get(logical_id),
            )
        )
    return resources, Coverage(**counts)


def roll_up(
    account_id: str,
    region: str,
    root: StackCheck,
    nested: Sequence[StackCheck],
    checked_at: datetime,
) -> StackResult:
    """One result for a root stack and its nested stacks: drift anywhere in the tree is the
    root's drift, coverage adds up, and each nested stack keeps its own verdict."""
    checks = [root, *nested]
    resources = [resource for check in checks for resource in check.resources]
    coverage = sum((check.coverage for check in checks), Coverage())
    errors = [check.error for check in checks if check.error is not None]
    reasons = [check.detection_reason for check in checks if check.detection_reason]
    failed = [check for check in checks if check.detection_status == "DETECTION_FAILED"]
    return StackResult(
        account_id=account_id,
        region=region,
        stack_name=root.stack_name,
        stack_id=root.stack_id,
        stack_status=root.stack_status,
        state=verdict(resources, coverage, failed=bool(errors)),
        checked_at=checked_at,
        detection_status=failed[0].detection_status if failed else root.detection_status,
        detection_reason="; ".join(reasons) or None,
        detection_seconds=max(check.detection_seconds for check in checks),
        coverage=coverage,
        resources=resources,
        nested_stacks=[
            NestedStack(stack_name=check.stack_name, stack_id=check.stack_id, state=check.state)
            for check in nested
        ],
        error=errors[0] if errors else None,
    )
