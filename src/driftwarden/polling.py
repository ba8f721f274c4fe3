"""When to ask about a running drift detection again.

Polling too early spends the account's call budget on "still in progress"; polling too late
wastes wall time. Detections of one account-region take similar times, so the timer learns
from them: the oldest age at which one was still running (a lower bound) and the youngest age
at which one was seen finished (an upper bound). Until a detection has finished, polls back
off from a first guess; afterwards first polls go at the upper bound, which wastes no call
when detections take equally long, and one still running is asked again after a growing
interval.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DetectionTimer:
    first_poll_seconds: float = 1.0  # before anything is known
    min_interval_seconds: float = 0.25
    max_interval_seconds: float = 30.0
    growth: float = 1.5  # a still-running detection is asked again at age x growth
    margin: float = 1.1  # without an upper bound, first polls go this far past the lower one
    lower_bound_seconds: float = 0.0  # the oldest age at which a detection was still running
    upper_bound_seconds: float | None = None  # the youngest age at which one was seen finished

    def first_poll_after(self) -> float:
        """Seconds after the start of a detection to ask about it first."""
        if self.upper_bound_seconds is not None:
            return max(self.upper_bound_seconds, self.lower_bound_seconds)
        return max(self.first_poll_seconds, self.lower_bound_seconds * self.margin)

    def still_running(self, age: float) -> float:
        """Record that a detection was running at `age`; seconds until asking it again."""
        self.lower_bound_seconds = max(self.lower_bound_seconds, age)
        target_age = max(age * self.growth, self.first_poll_after())
        return min(self.max_interval_seconds, max(self.min_interval_seconds, target_age - age))

    def finished(self, age: float) -> None:
        """Record that a detection was seen finished at `age`."""
        if self.upper_bound_seconds is None or age < self.upper_bound_seconds:
            self.upper_bound_seconds = age
