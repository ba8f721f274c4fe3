"""Drift state changes between two checks of a stack: NEW, CHANGED, RESOLVED, RECURRING.

Only a change is news: an unchanged drifted stack yields no transition, so no event. A check
that failed says nothing about drift, so it neither resolves nor starts anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from driftwarden.models import PropertyDifference, StackResult, StackState, Transition


@dataclass(frozen=True)
class DriftMemory:
    """What the previous checks of a stack left behind, as far as transitions care."""

    drifted: bool
    fingerprint: str | None
    ever_drifted: bool
    drift_since: datetime | None


@dataclass(frozen=True)
class DriftChange:
    transition: Transition | None
    memory: DriftMemory


def _difference_key(difference: PropertyDifference) -> tuple[str, str, str, str]:
    return (difference.property_path, difference.difference_type,
            difference.expected_value or "", difference.actual_value or "")  # fmt: skip


def fingerprint(result: StackResult) -> str | None:
    """A digest of the drift that counts (ignored differences left out); None when in sync."""
    parts = sorted(
        json.dumps([resource.stack_name, resource.logical_resource_id, resource.status.value,
                    sorted(_difference_key(d) for d in resource.differences if not d.ignored)])
        for resource in result.drifted_resources
    )  # fmt: skip
    if not parts:
        return None
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def drift_change(previous: DriftMemory | None, result: StackResult) -> DriftChange:
    if result.state is StackState.FAILED:  # nothing learned about drift
        unchanged = previous or DriftMemory(False, None, ever_drifted=False, drift_since=None)
        return DriftChange(None, unchanged)
    now_drifted = result.state is StackState.DRIFTED
    digest = fingerprint(result) if now_drifted else None
    was_drifted = previous is not None and previous.drifted
    ever = previous is not None and previous.ever_drifted
    transition: Transition | None = None
    since = previous.drift_since if previous is not None and was_drifted else None
    if now_drifted and not was_drifted:
        transition = Transition.RECURRING if ever else Transition.NEW
        since = result.checked_at
    elif now_drifted and previous is not None and digest != previous.fingerprint:
        transition = Transition.CHANGED
    elif was_drifted and not now_drifted:
        transition = Transition.RESOLVED
        since = None
    memory = DriftMemory(now_drifted, digest, ever_drifted=ever or now_drifted, drift_since=since)
    return DriftChange(transition, memory)
