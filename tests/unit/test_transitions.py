"""Drift transitions between checks: events are for changes only."""

from __future__ import annotations

import pytest

from driftwarden.models import Transition
from driftwarden.transitions import DriftMemory, drift_change, fingerprint
from tests.helpers import stack_result

QUEUE_120 = {"Queue": "120"}
QUEUE_300 = {"Queue": "300"}


def run_checks(*checks: tuple[str, dict[str, str] | None]) -> list[Transition | None]:
    memory: DriftMemory | None = None
    transitions = []
    for day, (state, drifted) in enumerate(checks, start=1):
        result = stack_result(
            state, drifted=drifted, checked_at=f"2026-11-{day:02d}T10:00:00+00:00"
        )
        change = drift_change(memory, result)
        memory = change.memory
        transitions.append(change.transition)
    return transitions


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([("IN_SYNC", None)], [None]),
        ([("DRIFTED", QUEUE_120)], [Transition.NEW]),
        ([("DRIFTED", QUEUE_120), ("DRIFTED", QUEUE_120)], [Transition.NEW, None]),
        ([("DRIFTED", QUEUE_120), ("DRIFTED", QUEUE_300)], [Transition.NEW, Transition.CHANGED]),
        ([("DRIFTED", QUEUE_120), ("IN_SYNC", None)], [Transition.NEW, Transition.RESOLVED]),
        (
            [("DRIFTED", QUEUE_120), ("IN_SYNC", None), ("DRIFTED", QUEUE_120)],
            [Transition.NEW, Transition.RESOLVED, Transition.RECURRING],
        ),
        # A failed check knows nothing about drift: it neither resolves nor re-announces.
        (
            [("DRIFTED", QUEUE_120), ("FAILED", None), ("DRIFTED", QUEUE_120)],
            [Transition.NEW, None, None],
        ),
        ([("IN_SYNC", None), ("PARTIAL", None)], [None, None]),
    ],
)
def test_transitions_between_checks(
    checks: list[tuple[str, dict[str, str] | None]], expected: list[Transition | None]
) -> None:
    assert run_checks(*checks) == expected


def test_drift_since_is_the_first_drifted_check_and_clears_on_resolve() -> None:
    first = stack_result("DRIFTED", drifted=QUEUE_120, checked_at="2026-11-01T10:00:00+00:00")
    second = stack_result("DRIFTED", drifted=QUEUE_300, checked_at="2026-11-02T10:00:00+00:00")
    resolved = stack_result("IN_SYNC", checked_at="2026-11-03T10:00:00+00:00")
    memory = drift_change(None, first).memory
    assert memory.drift_since == first.checked_at
    memory = drift_change(memory, second).memory
    assert memory.drift_since == first.checked_at
    assert drift_change(memory, resolved).memory.drift_since is None


def test_the_fingerprint_ignores_accepted_differences_and_order() -> None:
    both = stack_result("DRIFTED", drifted={"A": "1", "B": "2"})
    reversed_order = both.model_copy(update={"resources": list(reversed(both.resources))})
    assert fingerprint(both) == fingerprint(reversed_order)
    assert fingerprint(stack_result("IN_SYNC")) is None
    resource = both.resources[0]
    accepted = resource.model_copy(update={"differences": [
        resource.differences[0].model_copy(update={"ignored_by": "accepted"})
    ]})  # fmt: skip
    partly_accepted = both.model_copy(update={"resources": [accepted, both.resources[1]]})
    assert fingerprint(partly_accepted) == fingerprint(stack_result("DRIFTED", drifted={"B": "2"}))
