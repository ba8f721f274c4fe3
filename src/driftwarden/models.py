"""The drift domain's data: what a check found about a stack, and what an audit of a target did.

These models are what the engine returns, the store persists and the API and reports show.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from awskit.errors import AwsKitError


class StackState(StrEnum):
    """A stack's verdict. IN_SYNC is only given when every resource was checked: a stack with
    unchecked resources and no drift is PARTIAL, so it never reads as a clean bill of health."""

    DRIFTED = "DRIFTED"
    IN_SYNC = "IN_SYNC"
    PARTIAL = "PARTIAL"  # no drift found, but some resources could not be checked
    NOT_CHECKED = "NOT_CHECKED"  # nothing in the stack could be checked
    FAILED = "FAILED"  # the check itself failed (and found no drift in what it did check)


class ResourceStatus(StrEnum):
    """CloudFormation's StackResourceDriftStatus, plus FAILED for a resource whose detection
    failed (DETECTION_FAILED names it)."""

    IN_SYNC = "IN_SYNC"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    NOT_CHECKED = "NOT_CHECKED"
    UNKNOWN = "UNKNOWN"
    UNSUPPORTED = "UNSUPPORTED"
    FAILED = "FAILED"


# Resources drift detection reached; the others count as unchecked in a stack's coverage.
CHECKED_STATUSES = frozenset({ResourceStatus.IN_SYNC, ResourceStatus.MODIFIED,
                              ResourceStatus.DELETED})  # fmt: skip


class Transition(StrEnum):
    """How a stack's drift changed since its previous check; events fire on these only."""

    NEW = "NEW"  # drifted for the first time
    CHANGED = "CHANGED"  # still drifted, with different differences
    RESOLVED = "RESOLVED"  # was drifted, is not any more
    RECURRING = "RECURRING"  # drifted again after having been resolved


class PropertyDifference(BaseModel):
    """One property difference of one resource, with where it was found."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    region: str
    stack_name: str
    logical_resource_id: str
    resource_type: str
    property_path: str
    difference_type: str
    expected_value: str | None = None
    actual_value: str | None = None
    ignored_by: str | None = None  # the reason of the rule that matched, when one did

    @property
    def ignored(self) -> bool:
        return self.ignored_by is not None


class ResourceDrift(BaseModel):
    """A resource that is not plainly IN_SYNC: drifted, unchecked, or failed."""

    stack_name: str  # the stack that holds it (a nested stack's, after roll-up)
    logical_resource_id: str
    physical_resource_id: str = ""
    resource_type: str
    status: ResourceStatus
    differences: list[PropertyDifference] = Field(default_factory=list)
    failure_reason: str | None = None

    @property
    def checked(self) -> bool:
        """Drift detection reached it (the coverage's `checked`); False for NOT_CHECKED,
        UNKNOWN, UNSUPPORTED and FAILED."""
        return self.status in CHECKED_STATUSES

    @property
    def drifted(self) -> bool:
        """Deleted, or modified in at least one way no ignore rule accepts."""
        if self.status is ResourceStatus.DELETED:
            return True
        return self.status is ResourceStatus.MODIFIED and any(
            not difference.ignored for difference in self.differences
        )


class Coverage(BaseModel):
    """How many resources each kind of check reached; nothing unchecked hides behind IN_SYNC."""

    checked: int = 0
    not_checked: int = 0
    unknown: int = 0
    unsupported: int = 0
    failed: int = 0

    @property
    def unchecked(self) -> int:
        return self.not_checked + self.unknown + self.unsupported + self.failed

    @property
    def total(self) -> int:
        return self.checked + self.unchecked

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            **{name: getattr(self, name) + getattr(other, name) for name in Coverage.model_fields}
        )


class ErrorInfo(BaseModel):
    """A categorised error as results carry it: what went wrong and how to fix it."""

    category: str
    severity: str
    code: str | None = None
    message: str
    suggestions: list[str] = Field(default_factory=list)
    retryable: bool = False  # worth trying again later (throttling, 5xx, an open circuit)

    @classmethod
    def from_error(cls, error: AwsKitError) -> ErrorInfo:
        return cls(
            category=error.category.value,
            severity=error.severity.value,
            code=error.code,
            message=error.message,
            suggestions=list(error.suggestions),
            retryable=error.retryable or error.category.value == "DEPENDENCY",
        )


class NestedStack(BaseModel):
    """A nested stack rolled up into its root's result."""

    stack_name: str
    stack_id: str
    state: StackState


class StackResult(BaseModel):
    """One check of one stack (a root stack: its nested stacks are rolled up into it)."""

    account_id: str
    region: str
    stack_name: str
    stack_id: str
    stack_status: str
    state: StackState
    checked_at: datetime
    detection_status: str  # DETECTION_COMPLETE / DETECTION_FAILED / ADOPTED (see engine)
    detection_reason: str | None = None
    detection_seconds: float = 0.0
    coverage: Coverage = Field(default_factory=Coverage)
    resources: list[ResourceDrift] = Field(default_factory=list)
    nested_stacks: list[NestedStack] = Field(default_factory=list)
    error: ErrorInfo | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.stack_name)

    @property
    def drifted_resources(self) -> list[ResourceDrift]:
        return [resource for resource in self.resources if resource.drifted]

    @property
    def differences(self) -> list[PropertyDifference]:
        return [d for resource in self.resources for d in resource.differences]


class SkippedStack(BaseModel):
    """A stack that was not checked, and why (busy stacks are checked when they settle)."""

    stack_name: str
    stack_status: str
    reason: str


class TargetResult(BaseModel):
    """What the audit of one account-region did."""

    account_id: str
    region: str
    started_at: datetime
    finished_at: datetime
    stacks: list[StackResult] = Field(default_factory=list)
    skipped: list[SkippedStack] = Field(default_factory=list)
    # Root stacks not checked because the time budget ran out: audit them next (see engine).
    continuation: list[str] = Field(default_factory=list)
    error: ErrorInfo | None = None
    api_calls: int = 0
    throttled_calls: int = 0
    detection_limit_hits: int = 0  # detections CloudFormation refused as too many at once

    @property
    def complete(self) -> bool:
        return self.error is None and not self.continuation

    def count(self, state: StackState) -> int:
        return sum(stack.state is state for stack in self.stacks)

    def summary(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "stacks": len(self.stacks),
            **{state.value: self.count(state) for state in StackState},
            "skipped": len(self.skipped),
            "continuation": len(self.continuation),
            "error": self.error.category if self.error else None,
        }
