"""What the handlers do, without Lambda in the way: plan a scheduled run, work on a queued
target, and turn a stack-change event into a debounced check."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from awskit.errors import InvalidInputError
from driftwarden.audit_run import TargetOutcome, audit_and_record
from driftwarden.engine import DriftEngine
from driftwarden.findings import FindingsPublisher
from driftwarden.models import ErrorInfo
from driftwarden.settings import ScheduleSettings
from driftwarden.store import ResultStore
from driftwarden.target_audit import ELIGIBLE_STATUSES
from driftwarden.targets import TargetSelection, build_targets, organization_accounts
from driftwarden.work import WorkItem, WorkQueue

_STACK_ARN = re.compile(r"^arn:aws[a-z-]*:cloudformation:[^:]+:\d{12}:stack/(?P<name>[^/]+)/")


class ScheduledRun(BaseModel):
    run_id: str
    targets: int
    already_scheduled: bool = False


def schedule_run(
    run_id: str,
    settings: ScheduleSettings,
    store: ResultStore,
    queue: WorkQueue,
    organizations: Any,
    trigger: str = "schedule",
) -> ScheduledRun:
    """Create the run record and queue one work item per target. A redelivered schedule event
    (same run id) queues nothing twice."""
    selection = TargetSelection(
        regions=settings.regions,
        account_ids=settings.account_ids,
        organizational_unit_ids=settings.organizational_unit_ids,
        stack_name_globs=settings.stack_name_globs,
    )
    accounts = (
        list(settings.account_ids)
        if settings.account_ids and not settings.organizational_unit_ids
        else organization_accounts(organizations, selection)
    )
    targets = build_targets(accounts, selection)
    try:
        store.start_run(run_id, target_count=len(targets), trigger=trigger)
    except InvalidInputError:
        return ScheduledRun(run_id=run_id, targets=len(targets), already_scheduled=True)
    queue.send([
        WorkItem(run_id=run_id, account_id=t.account_id, region=t.region) for t in targets
    ])  # fmt: skip
    return ScheduledRun(run_id=run_id, targets=len(targets))


class TargetNeedsRetry(Exception):
    """The target failed for a reason that may pass (throttling, 5xx, an open circuit): the
    message goes back to the queue, and to the dead-letter queue after repeated failures."""

    def __init__(self, error: ErrorInfo) -> None:
        super().__init__(f"{error.category}: {error.message}")
        self.error = error


def work_on(
    item: WorkItem,
    engine: DriftEngine,
    store: ResultStore,
    publisher: FindingsPublisher,
    queue: WorkQueue,
    remaining_seconds: Callable[[], float] | None = None,
    stacks_per_message: int = 100,
) -> TargetOutcome:
    """Audit a queued item of a target, at most `stacks_per_message` root stacks of it; the
    rest (and what time did not allow) goes back to the queue in batches of that size."""

    def requeue(stack_names: list[str]) -> int:
        batches = [stack_names[i : i + stacks_per_message]
                   for i in range(0, len(stack_names), stacks_per_message)]  # fmt: skip
        return queue.send([
            item.model_copy(update={"stack_names": tuple(batch), "attempt": item.attempt + 1})
            for batch in batches
        ])  # fmt: skip

    outcome = audit_and_record(
        engine, store, publisher, item.target, run_id=item.run_id,
        remaining_seconds=remaining_seconds, start_detections=not item.read_existing,
        max_stacks=stacks_per_message, requeue=requeue,
    )  # fmt: skip
    result = outcome.result
    if result.error is not None and result.error.retryable:
        raise TargetNeedsRetry(result.error)
    return outcome


DRIFT_DETECTION_EVENT = "CloudFormation Drift Detection Status Change"


class StackChange(BaseModel):
    account_id: str
    region: str
    stack_name: str
    status: str
    # A drift detection finished (someone ran one): read its result, start none, saving a
    # detection and its polling.
    detection_finished: bool = False


def stack_change(event: Any) -> StackChange | None:
    """The stack and what happened to it, from a "CloudFormation Stack Status Change" or a
    "CloudFormation Drift Detection Status Change" event; None when there is nothing to check
    (a stack in progress, failed or deleted; a detection still running or failed)."""
    detail = event.detail
    match = _STACK_ARN.match(str(detail.get("stack-id", "")))
    if match is None:
        raise InvalidInputError("the event's detail has no valid stack-id")
    details = detail.get("status-details", {})
    if event.detail_type == DRIFT_DETECTION_EVENT:
        status = str(details.get("detection-status", ""))
        finished = status == "DETECTION_COMPLETE"
    else:
        status = str(details.get("status", ""))
        finished = False
        if status not in ELIGIBLE_STATUSES:
            return None
    if event.detail_type == DRIFT_DETECTION_EVENT and not finished:
        return None
    return StackChange(account_id=event.account, region=event.region, stack_name=match["name"],
                       status=status, detection_finished=finished)  # fmt: skip


def queue_stack_check(
    change: StackChange,
    event_id: str,
    store: ResultStore,
    queue: WorkQueue,
    debounce_seconds: int,
    now: datetime | None = None,
) -> str | None:
    """Queue a check of the changed stack, unless one was queued within the debounce window
    (a deployment sends several events). Returns the run id, or None when debounced."""
    moment = now or datetime.now(UTC)
    kind = "drift" if change.detection_finished else "status"
    if not store.claim_debounce(
        (change.account_id, change.region, change.stack_name, kind),
        until=moment + timedelta(seconds=debounce_seconds),
        now=moment,
    ):
        return None
    run_id = f"event-{event_id}"
    try:
        store.start_run(run_id, target_count=1, trigger="stack-event")
    except InvalidInputError:
        return None  # the same event, delivered again
    queue.send([WorkItem(run_id=run_id, account_id=change.account_id, region=change.region,
                         stack_names=(change.stack_name,),
                         read_existing=change.detection_finished)])  # fmt: skip
    return run_id
