"""The audit of one target (an account-region): every eligible stack checked, as fast as the
account's CloudFormation budget allows, with nothing lost when time runs out.

One loop drives many detections at once: it starts detections while the budget allows more in
flight, asks about running ones when the poll timer says they are likely done, and reads the
results of finished ones, finishing work before starting more. Nested stacks are detected one
by one and rolled up to their root; a root and its nested stacks (a "tree") are the unit that
is either reported whole or handed back as a continuation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from awskit.errors import (
    AwsKitError,
    InvalidInputError,
    ResourceLimitError,
    ResourceNotFoundError,
    ThrottlingError,
)
from awskit.retry import CircuitBreaker, is_permanent_error
from driftwarden.budget import AccountRegionBudget
from driftwarden.cfn_messages import busy_stack_status, failed_resources, is_detection_in_progress
from driftwarden.models import ErrorInfo, SkippedStack, TargetResult
from driftwarden.polling import DetectionTimer
from driftwarden.results import StackCheck, read_resources, roll_up
from driftwarden.targets import Target, TargetSelection, stack_selected

if TYPE_CHECKING:
    from awskit.services.cloudformation import CloudFormationService, DriftDetectionStatus
    from driftwarden.ignore_rules import IgnoreRule

T = TypeVar("T")

# States DetectStackDrift accepts. Busy (*_IN_PROGRESS) stacks are skipped and checked when they
# settle (the stack-event path); failed states cannot be checked at all.
ELIGIBLE_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
                               "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})  # fmt: skip
# Detection status of a check that adopted a detection someone else had started: CloudFormation
# gives no id for it, so its outcome is read from the stack's DriftInformation.
ADOPTED = "ADOPTED"
# Detection status of a check that started nothing and read what a detection someone else ran
# found (the stack-events path, on CloudFormation's "Drift Detection Status Change").
EXTERNAL = "EXTERNAL"
BUSY_REASON = "busy: checked when it settles"


@dataclass
class AuditClock:
    """Time as the audit sees it: monotonic for intervals, wall for timestamps, and the time
    left before the caller's deadline (a Lambda's remaining time), when there is one."""

    monotonic: Callable[[], float]
    wall: Callable[[], datetime]
    sleep: Callable[[float], None]
    remaining_seconds: Callable[[], float] | None = None
    margin_seconds: float = 20.0

    def out_of_time(self) -> bool:
        return self.remaining_seconds is not None and self.remaining_seconds() < self.margin_seconds


@dataclass
class _Tree:
    """A root stack and its nested stacks."""

    members: list[Any]  # DescribeStacks entries, root first
    checks: dict[str, StackCheck] = field(default_factory=dict)
    skipped: bool = False

    @property
    def root_name(self) -> str:
        return str(self.members[0]["StackName"])

    @property
    def done(self) -> bool:
        return len(self.checks) == len(self.members)


@dataclass
class _Detection:
    tree: _Tree
    stack: Any
    started: float
    next_poll: float
    detection_id: str | None = None  # None when adopted
    status: DriftDetectionStatus | None = None
    finished: float = 0.0
    external: bool = False  # nothing started: read the latest detection's results


class TargetAudit:
    """Audits one target once; build one per target and call run()."""

    def __init__(
        self,
        target: Target,
        cloudformation: CloudFormationService,
        budget: AccountRegionBudget,
        breaker: CircuitBreaker,
        clock: AuditClock,
        *,
        timer: DetectionTimer | None = None,
        selection: TargetSelection | None = None,
        ignore_rules: Sequence[IgnoreRule] = (),
        adopt_timeout_seconds: float = 900.0,
        start_detections: bool = True,
        max_trees: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.target = target
        self.cloudformation = cloudformation
        self.budget = budget
        self.breaker = breaker
        self.clock = clock
        self.timer = timer or DetectionTimer()
        self.selection = selection
        self.ignore_rules = ignore_rules
        self.adopt_timeout_seconds = adopt_timeout_seconds
        self.start_detections = start_detections
        self.max_trees = max_trees  # more root stacks than this go back as a continuation
        self.on_progress = on_progress  # (root stacks done, root stacks in all)
        self._progress_reported: int | None = None
        self._today: date = clock.wall().date()
        self._pending: deque[tuple[_Tree, Any]] = deque()
        self._running: list[_Detection] = []
        self._finished: deque[_Detection] = deque()

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> TargetResult:
        result = TargetResult(
            account_id=self.target.account_id,
            region=self.target.region,
            started_at=self.clock.wall(),
            finished_at=self.clock.wall(),
        )
        self._result = result
        trees: list[_Tree] = []
        deferred: list[str] = []
        try:
            stacks = self._call(lambda: list(self.cloudformation.describe_stacks()))
            trees = self._plan(stacks)
            if self.max_trees is not None:
                deferred = [tree.root_name for tree in trees[self.max_trees :]]
                trees = trees[: self.max_trees]
            self._pending.extend((tree, stack) for tree in trees for stack in tree.members)
            self._report_progress(trees)
            while (self._pending or self._running or self._finished) and not (
                self.clock.out_of_time()
            ):
                self._step()
                self._report_progress(trees)
        except AwsKitError as error:
            # A broken account (denied role, open circuit, retries exhausted): this target stops
            # here; other targets are unaffected.
            result.error = ErrorInfo.from_error(error)
        checked_at = self.clock.wall()
        for tree in trees:
            if tree.skipped:
                continue
            if tree.done:
                root, *nested = (tree.checks[str(s["StackName"])] for s in tree.members)
                result.stacks.append(
                    roll_up(self.target.account_id, self.target.region, root, nested, checked_at)
                )
            elif result.error is None:
                result.continuation.append(tree.root_name)
        if result.error is None:
            result.continuation.extend(deferred)
        result.finished_at = self.clock.wall()
        result.api_calls = self.budget.calls
        result.throttled_calls = self.budget.throttles
        result.detection_limit_hits = self.budget.detection_limits
        return result

    def _report_progress(self, trees: list[_Tree]) -> None:
        if self.on_progress is None:
            return
        done = sum(tree.done or tree.skipped for tree in trees)
        if done != self._progress_reported:
            self._progress_reported = done
            self.on_progress(done, len(trees))

    def _step(self) -> None:
        """Do the most useful next thing: read a finished detection; start another while the
        budget allows more in flight (a detection started early finishes early, and polls
        before the detection time has passed would only spend calls); ask about a due one;
        otherwise wait for the next due poll."""
        if self._finished:
            self._read_results(self._finished.popleft())
            return
        while self._pending and self._pending[0][0].skipped:
            self._pending.popleft()
        self._running = [d for d in self._running if not d.tree.skipped]
        if self._pending and len(self._running) < self.budget.in_flight_limit:
            self._start(*self._pending.popleft())
            return
        due = min(self._running, key=lambda d: d.next_poll, default=None)
        if due is None:
            return
        now = self.clock.monotonic()
        if due.next_poll <= now:
            self._poll(due)
        else:
            self.clock.sleep(due.next_poll - now)

    def _call(self, fn: Callable[[], T]) -> T:
        """Every AWS call of the audit: paced by the budget, guarded by the account's breaker."""
        return self.breaker.call(self.budget.call, fn)

    # --- planning -------------------------------------------------------------------------------

    def _selected(self, stack: Any) -> bool:
        name = str(stack["StackName"])
        if self.target.stack_names and name not in self.target.stack_names:
            return False
        if self.selection is None:
            return True
        tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
        return stack_selected(name, tags, self.selection)

    def _plan(self, stacks: list[Any]) -> list[_Tree]:
        """Root stacks that are selected, each with its nested stacks; busy or ineligible trees
        are recorded as skipped."""
        nested: dict[str, list[Any]] = {}
        for stack in stacks:
            if stack.get("RootId"):
                nested.setdefault(str(stack["RootId"]), []).append(stack)
        trees = []
        for root in stacks:
            if root.get("RootId") or not self._selected(root):
                continue
            members = [root, *nested.get(str(root["StackId"]), [])]
            busy = [m for m in members if str(m["StackStatus"]).endswith("_IN_PROGRESS")]
            ineligible = [m for m in members if m["StackStatus"] not in ELIGIBLE_STATUSES]
            if busy or ineligible:
                status = str((busy or ineligible)[0]["StackStatus"])
                reason = BUSY_REASON if busy else "not in a state drift detection accepts"
                self._skip(str(root["StackName"]), status, reason)
                continue
            trees.append(_Tree(members))
        return trees

    # --- one detection --------------------------------------------------------------------------

    def _start(self, tree: _Tree, stack: Any) -> None:
        name = str(stack["StackName"])
        now = self.clock.monotonic()
        if not self.start_detections:
            self._finished.append(
                _Detection(tree, stack, started=now, next_poll=now, finished=now, external=True)
            )
            return
        detection = _Detection(tree, stack, started=now, next_poll=now)
        try:
            detection.detection_id = self._call(
                lambda: self.cloudformation.detect_stack_drift(name)
            )
        except AwsKitError as error:
            if is_detection_in_progress(error):
                detection.detection_id = None  # adopt the running one: poll the stack itself
            elif isinstance(error, ResourceLimitError) and not isinstance(error, ThrottlingError):
                # Too many detections at once: fewer in flight, and this one goes first later.
                self.budget.on_detection_limit(len(self._running))
                self._pending.appendleft((tree, stack))
                return
            elif busy_stack_status(error):
                self._skip_busy(tree, str(busy_stack_status(error)))
                return
            else:
                self._record_failure(tree, stack, error)
                return
        detection.next_poll = now + self.timer.first_poll_after()
        self._running.append(detection)

    def _poll(self, detection: _Detection) -> None:
        now = self.clock.monotonic()
        age = now - detection.started
        too_early = self.timer.first_poll_after() - age
        if too_early > 0:  # the timer learnt more since this poll was scheduled
            detection.next_poll = now + too_early
            return
        try:
            if detection.detection_id is None:
                finished = self._adopted_finished(detection, age)
            else:
                detection_id = detection.detection_id
                status = self._call(
                    lambda: self.cloudformation.describe_drift_detection_status(detection_id)
                )
                detection.status = status
                finished = not status.in_progress
        except AwsKitError as error:
            self._running.remove(detection)
            self._record_failure(detection.tree, detection.stack, error)
            return
        if finished:
            self.timer.finished(age)
            self.budget.on_detection_finished()
            detection.finished = now
            self._running.remove(detection)
            self._finished.append(detection)
        else:
            detection.next_poll = now + self.timer.still_running(age)

    def _adopted_finished(self, detection: _Detection, age: float) -> bool:
        """An adopted detection has finished when the stack's LastCheckTimestamp moves on from
        what the listing showed (no clocks compared)."""
        name = str(detection.stack["StackName"])
        if age > self.adopt_timeout_seconds:
            raise InvalidInputError(
                f"the drift detection already running on {name} did not finish within "
                f"{self.adopt_timeout_seconds:.0f}s",
                suggestions=["Check the stack's drift status in the console; it is retried on "
                             "the next audit."],
            )  # fmt: skip
        before = detection.stack.get("DriftInformation", {}).get("LastCheckTimestamp")
        stack = self._call(lambda: self.cloudformation.get_stack(name))
        if stack is None:
            raise ResourceNotFoundError(f"stack {name} no longer exists")
        after = stack.get("DriftInformation", {}).get("LastCheckTimestamp")
        return after is not None and after != before

    def _read_results(self, detection: _Detection) -> None:
        stack = detection.stack
        name = str(stack["StackName"])
        status = detection.status
        reason = status.status_reason if status else None
        detection_status = (
            status.detection_status if status else (EXTERNAL if detection.external else ADOPTED)
        )
        failed = failed_resources(reason) if detection_status == "DETECTION_FAILED" else {}
        drifts: list[Any] = []
        token: str | None = None
        try:
            while True:
                page, token = self._call(
                    lambda token=token: self.cloudformation.resource_drifts_page(name, token)  # type: ignore[misc]
                )
                drifts.extend(page)
                if not token:
                    break
        except AwsKitError as error:
            self._record_failure(detection.tree, stack, error)
            return
        resources, coverage = read_resources(
            {"account_id": self.target.account_id, "region": self.target.region,
             "stack_name": name},
            drifts, failed, self.ignore_rules, self._today,
        )  # fmt: skip
        whole_stack_failed = None
        if detection_status == "DETECTION_FAILED" and not failed:
            whole_stack_failed = ErrorInfo(
                category="AWS", severity="ERROR", code="DETECTION_FAILED",
                message=reason or "drift detection failed without a reason",
                suggestions=["Run drift detection on the stack in the console to see details."],
            )  # fmt: skip
        detection.tree.checks[name] = StackCheck(
            stack_name=name,
            stack_id=str(stack["StackId"]),
            stack_status=str(stack["StackStatus"]),
            detection_status=detection_status,
            detection_reason=reason,
            detection_seconds=round(detection.finished - detection.started, 3),
            resources=resources,
            coverage=coverage,
            error=whole_stack_failed,
        )

    # --- outcomes other than a result -----------------------------------------------------------

    def _record_failure(self, tree: _Tree, stack: Any, error: AwsKitError) -> None:
        """A stack whose check failed for a reason of its own (permanent errors); anything
        that says the account itself is unwell stops the target instead."""
        if not is_permanent_error(error):
            raise error
        name = str(stack["StackName"])
        tree.checks[name] = StackCheck(
            stack_name=name,
            stack_id=str(stack["StackId"]),
            stack_status=str(stack["StackStatus"]),
            detection_status="NOT_STARTED",
            error=ErrorInfo.from_error(error),
        )

    def _skip_busy(self, tree: _Tree, status: str) -> None:
        tree.skipped = True
        self._skip(tree.root_name, status, BUSY_REASON)

    def _skip(self, stack_name: str, status: str, reason: str) -> None:
        self._result.skipped.append(
            SkippedStack(stack_name=stack_name, stack_status=status, reason=reason)
        )
