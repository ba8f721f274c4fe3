"""When to ask about a running drift detection again.

Polling too early spends the account's call budget on "still in progress"; polling too late
wastes wall time. Detections of one account-region take similar times, so the timer learns a
lower bound (the oldest detection seen still running) and schedules first polls just past it;
a detection that is still running is asked again after a growing interval (backoff).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DetectionTimer:
    first_poll_seconds: float = 1.0  # before anything is known
    min_interval_seconds: float = 0.25
    max_interval_seconds: float = 30.0
    growth: float = 1.5  # a still-running detection is asked again at age x growth
    margin: float = 1.1  # first polls go this far past the learned lower bound
    lower_bound_seconds: float = 0.0  # the oldest age at which a detection was still running

    def first_poll_after(self) -> float:
        """Seconds after the start of a detection to ask about it first."""
        return max(self.first_poll_seconds, self.lower_bound_seconds * self.margin)

    def still_running(self, age: float) -> float:
        """Record that a detection was running at `age`; seconds until asking it again."""
        self.lower_bound_seconds = max(self.lower_bound_seconds, age)
        target_age = max(age * self.growth, self.lower_bound_seconds * self.margin)
        return min(self.max_interval_seconds, max(self.min_interval_seconds, target_age - age))
