"""One target's audit from start to finish: detect, store, publish, record progress.

This is what the worker runs for a queued target (and the CLI and demo for theirs). Results
are stored before anything is published, so a publish that fails can be retried without
losing a result; a stack's transition is published right after its result is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from driftwarden.engine import DriftEngine
from driftwarden.findings import FindingsPublisher
from driftwarden.models import StackResult, TargetResult
from driftwarden.store import Recorded, ResultStore
from driftwarden.targets import Target


@dataclass
class TargetOutcome:
    result: TargetResult
    recorded: list[tuple[StackResult, Recorded]] = field(default_factory=list)
    findings_logged: int = 0
    events_published: int = 0
    run: dict[str, object] = field(default_factory=dict)


def audit_and_record(
    engine: DriftEngine,
    store: ResultStore,
    publisher: FindingsPublisher,
    target: Target,
    *,
    run_id: str,
    remaining_seconds: Callable[[], float] | None = None,
    start_detections: bool = True,
    max_stacks: int | None = None,
    requeue: Callable[[list[str]], int] | None = None,
) -> TargetOutcome:
    """`requeue` hands unfinished stacks on as new work items and says how many it queued;
    without it, a target with unfinished stacks stays not done in its run."""
    result = engine.audit_target(
        target, remaining_seconds, start_detections=start_detections, max_stacks=max_stacks
    )
    outcome = TargetOutcome(result)
    outcome.recorded = [(stack, store.record(stack, run_id)) for stack in result.stacks]
    outcome.events_published = publisher.publish_transitions(outcome.recorded)
    outcome.findings_logged = publisher.log_findings(result.stacks)
    publisher.emit_metrics(result)
    if result.continuation and result.error is None:
        queued = requeue(result.continuation) if requeue else 1
    else:
        queued = 0
    outcome.run = store.record_target(run_id, result, queued=queued)
    return outcome
