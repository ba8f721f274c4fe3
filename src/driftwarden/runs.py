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
) -> TargetOutcome:
    """Audit a queued target; hand unfinished stacks back to the queue."""
    outcome = audit_and_record(
        engine, store, publisher, item.target, run_id=item.run_id,
        remaining_seconds=remaining_seconds,
    )  # fmt: skip
    result = outcome.result
    if result.continuation:
        queue.send([item.model_copy(update={
            "stack_names": tuple(result.continuation), "attempt": item.attempt + 1,
        })])  # fmt: skip
    if result.error is not None and result.error.retryable:
        raise TargetNeedsRetry(result.error)
    return outcome


class StackChange(BaseModel):
    account_id: str
    region: str
    stack_name: str
    status: str


def stack_change(event: Any) -> StackChange | None:
    """The stack and its new status from a "CloudFormation Stack Status Change" event; None
    for statuses that cannot be checked (in progress, failed, deleted)."""
    detail = event.detail
    status = str(detail.get("status-details", {}).get("status", ""))
    match = _STACK_ARN.match(str(detail.get("stack-id", "")))
    if match is None:
        raise InvalidInputError("the event's detail has no valid stack-id")
    if status not in ELIGIBLE_STATUSES:
        return None
    return StackChange(
        account_id=event.account, region=event.region, stack_name=match["name"], status=status
    )


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
    if not store.claim_debounce(
        (change.account_id, change.region, change.stack_name),
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
                         stack_names=(change.stack_name,))])  # fmt: skip
    return run_id
