"""The API budget of one account-region: how fast to call, and how many detections to run.

CloudFormation's limits are per account and region, and they are not published, so the budget
finds them: a token bucket whose rate doubles each second until the first throttle (slow start),
is cut on every throttle and then creeps back up (additive increase, multiplicative decrease,
as TCP does). No fixed sleeps.

Detections in flight are capped separately: CloudFormation answers too many concurrent
detections with LimitExceeded (not Throttling), which halves the cap; each finished
detection raises it by one again.

The engine's SDK clients make one attempt per call (see engine.audit_client_manager), so every
throttle reaches this budget and is retried here, once, instead of twice in two loops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from awskit.errors import ThrottlingError
from awskit.retry import ExponentialBackoff, is_retryable_error

T = TypeVar("T")


@dataclass(frozen=True)
class BudgetSettings:
    initial_rate: float = 8.0  # calls per second before anything is known
    min_rate: float = 0.5
    max_rate: float = 50.0
    burst: float = 10.0  # calls that may go out back to back
    decrease: float = 0.85  # rate multiplier on a throttle
    initial_in_flight: int = 25
    max_in_flight: int = 50
    max_attempts: int = 8  # per call, counting throttles and transient errors


class AccountRegionBudget:
    """Paces the calls of one account-region and caps its detections in flight. Thread-safe."""

    def __init__(
        self,
        settings: BudgetSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        backoff: ExponentialBackoff | None = None,
    ) -> None:
        self.settings = settings or BudgetSettings()
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff or ExponentialBackoff(base_delay=0.5, max_delay=8.0)
        self._lock = threading.Lock()
        self.rate = self.settings.initial_rate
        self.in_flight_limit = self.settings.initial_in_flight
        self._tokens = self.settings.burst
        self._refilled_at = clock()
        self._slow_start = True
        self.calls = 0
        self.throttles = 0
        self.detection_limits = 0

    # --- pacing ---------------------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        refill = (now - self._refilled_at) * self.rate
        self._tokens = min(self.settings.burst, self._tokens + refill)
        self._refilled_at = now

    def acquire(self) -> None:
        """Wait until a call may go out. The token is reserved first (the balance may go
        negative) and the wait is what pays the debt back, so waiters queue fairly and no
        rounding can make one wait forever."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1
            self.calls += 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)

    def on_success(self) -> None:
        with self._lock:
            # Per success: +1 in slow start (doubles the rate each second), +1/rate afterwards
            # (about +1 call/s each second).
            step = 1.0 if self._slow_start else 1.0 / self.rate
            self.rate = min(self.settings.max_rate, self.rate + step)

    def on_throttle(self) -> None:
        with self._lock:
            self.throttles += 1
            self._slow_start = False
            self.rate = max(self.settings.min_rate, self.rate * self.settings.decrease)
            self._tokens = min(self._tokens, 0.0)

    # --- detections in flight -------------------------------------------------------------------

    def on_detection_limit(self, in_flight: int) -> None:
        """CloudFormation refused another concurrent detection (LimitExceeded)."""
        with self._lock:
            self.detection_limits += 1
            self.in_flight_limit = max(1, min(self.in_flight_limit, in_flight) // 2)

    def on_detection_finished(self) -> None:
        with self._lock:
            self.in_flight_limit = min(self.settings.max_in_flight, self.in_flight_limit + 1)

    # --- calling --------------------------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn` within the budget; throttles and transient errors are retried here."""
        attempt = 0
        while True:
            self.acquire()
            try:
                result = fn()
            except ThrottlingError:
                self.on_throttle()
                if attempt + 1 >= self.settings.max_attempts:
                    raise
            except Exception as exc:
                if not is_retryable_error(exc) or attempt + 1 >= self.settings.max_attempts:
                    raise
                self._sleep(self._backoff.delay(attempt))
            else:
                self.on_success()
                return result
            attempt += 1
