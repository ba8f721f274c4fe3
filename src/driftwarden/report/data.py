"""What a drift report shows, gathered from `scan` JSON files or from the service's table.

Both sources end in the same DriftReport: each stack's latest check, since when it has been
drifted, and a timeline of its earlier checks; plus the targets that could not be audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from driftwarden.models import ErrorInfo, StackResult, StackState, TargetResult
from driftwarden.transitions import DriftMemory, drift_change

if TYPE_CHECKING:
    from driftwarden.store import ResultStore

# How bad a state is, worst first: what a heat map cell shows when its stacks differ.
SEVERITY = (StackState.DRIFTED, StackState.FAILED, StackState.PARTIAL, StackState.NOT_CHECKED,
            StackState.IN_SYNC)  # fmt: skip


class TimelinePoint(BaseModel):
    checked_at: datetime
    state: StackState
    drifted_resources: int = 0


class ReportStack(BaseModel):
    result: StackResult  # the latest check
    drift_since: datetime | None = None
    timeline: list[TimelinePoint] = Field(default_factory=list)  # oldest first
    truncated: dict[str, int] | None = None  # the store kept only some resources


class TargetProblem(BaseModel):
    """An account-region whose latest audit failed as a whole (no stack results)."""

    account_id: str
    region: str
    error: ErrorInfo


class DriftReport(BaseModel):
    generated_at: datetime
    source: str
    stacks: list[ReportStack] = Field(default_factory=list)
    failed_targets: list[TargetProblem] = Field(default_factory=list)
    omitted_stacks: int = 0  # beyond the report's limit (the API caps a page)

    def cells(self) -> dict[tuple[str, str], list[ReportStack]]:
        """Stacks by (account, region), every audited target included even when empty."""
        cells: dict[tuple[str, str], list[ReportStack]] = {}
        for problem in self.failed_targets:
            cells.setdefault((problem.account_id, problem.region), [])
        for stack in self.stacks:
            cells.setdefault((stack.result.account_id, stack.result.region), []).append(stack)
        return cells


def severity_rank(state: StackState | str) -> int:
    """0 for the worst state (DRIFTED); stored states this version does not know sort last."""
    try:
        return SEVERITY.index(StackState(state))
    except ValueError:
        return len(SEVERITY)


def worst_state(states: Iterable[StackState]) -> StackState | None:
    present = set(states)
    return next((state for state in SEVERITY if state in present), None)


def _point(result: StackResult) -> TimelinePoint:
    return TimelinePoint(checked_at=result.checked_at, state=result.state,
                         drifted_resources=len(result.drifted_resources))  # fmt: skip


def report_from_scans(
    scans: Sequence[Sequence[TargetResult]], generated_at: datetime
) -> DriftReport:
    """One report of several scans (in any order): the newest check of each stack is shown,
    and the older ones make its timeline and drift age, by the rules the service uses."""
    checks: dict[tuple[str, str, str], list[StackResult]] = {}
    latest_targets: dict[tuple[str, str], TargetResult] = {}
    for scan in scans:
        for target in scan:
            key = (target.account_id, target.region)
            if key not in latest_targets or target.finished_at > latest_targets[key].finished_at:
                latest_targets[key] = target
            for stack in target.stacks:
                checks.setdefault(stack.key, []).append(stack)
    stacks = []
    for results in checks.values():
        results.sort(key=lambda r: r.checked_at)
        memory: DriftMemory | None = None
        for result in results:
            memory = drift_change(memory, result).memory
        assert memory is not None  # every key has at least one check
        stacks.append(ReportStack(result=results[-1], drift_since=memory.drift_since,
                                  timeline=[_point(r) for r in results]))  # fmt: skip
    problems = [
        TargetProblem(account_id=t.account_id, region=t.region, error=t.error)
        for t in latest_targets.values()
        if t.error is not None
    ]
    return DriftReport(generated_at=generated_at, source="scan", stacks=_ordered(stacks),
                       failed_targets=problems)  # fmt: skip


def report_from_store(
    store: ResultStore,
    generated_at: datetime,
    *,
    account: str | None = None,
    region: str | None = None,
    max_stacks: int = 500,
    timeline_length: int = 30,
    workers: int = 8,
) -> DriftReport:
    """The latest check of every stack in the table (or one account's, one region's), worst
    first; stacks beyond `max_stacks` are counted, not shown."""
    summaries = [s for s in store.latest_summaries(account=account)
                 if region is None or s["region"] == region]  # fmt: skip
    summaries.sort(key=lambda s: (severity_rank(s["state"]), s["account_id"], s["region"],
                                  s["stack_name"]))  # fmt: skip
    shown = summaries[:max_stacks]

    def load(summary: dict[str, object]) -> ReportStack | None:
        key = (str(summary["account_id"]), str(summary["region"]), str(summary["stack_name"]))
        latest = store.latest(*key)
        if latest is None:  # deleted between the listing and now
            return None
        timeline = [TimelinePoint.model_validate(point)
                    for point in store.timeline(*key, limit=timeline_length)]  # fmt: skip
        return ReportStack(result=latest.result, drift_since=latest.drift_since,
                           timeline=timeline[::-1], truncated=latest.truncated)  # fmt: skip

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        stacks = [stack for stack in pool.map(load, shown) if stack is not None]
    problems = [p for p in _failed_targets_of_last_audit(store)
                if (account is None or p.account_id == account)
                and (region is None or p.region == region)]  # fmt: skip
    return DriftReport(generated_at=generated_at, source="table", stacks=_ordered(stacks),
                       failed_targets=problems,
                       omitted_stacks=len(summaries) - len(shown))  # fmt: skip


def _failed_targets_of_last_audit(store: ResultStore) -> list[TargetProblem]:
    """Targets the newest scheduled run could not audit: they have no stack results to show,
    so without this an unreachable account would be missing from the report."""
    newest = next((run for run in store.list_runs(limit=10).items
                   if run.get("trigger") == "schedule"), None)  # fmt: skip
    run = store.get_run(str(newest["run_id"])) if newest else None
    if run is None:
        return []
    return [
        TargetProblem(account_id=target["account_id"], region=target["region"],
                      error=ErrorInfo.model_validate(target["error_detail"]))
        for target in run["targets"]
        if target.get("status") == "FAILED" and target.get("error_detail")
    ]  # fmt: skip


def _ordered(stacks: list[ReportStack]) -> list[ReportStack]:
    return sorted(stacks, key=lambda s: (s.result.account_id, s.result.region,
                                         severity_rank(s.result.state),
                                         s.result.stack_name))  # fmt: skip
