"""The adaptive API budget of an account-region, on a fake clock."""

from __future__ import annotations

import pytest

from awskit.errors import AccessDeniedError, ServiceUnavailableError, ThrottlingError
from awskit.retry import ExponentialBackoff
from driftwarden.budget import AccountRegionBudget, BudgetSettings
from driftwarden.polling import DetectionTimer
from tests.helpers import FakeClock


class SleepingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(clock: SleepingClock, **settings: float) -> AccountRegionBudget:
    return AccountRegionBudget(
        BudgetSettings(**settings),  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        backoff=ExponentialBackoff(base_delay=0.5, jitter=False),
    )


def test_calls_go_out_in_a_burst_then_at_the_rate() -> None:
    clock = SleepingClock()
    paced = budget(clock, initial_rate=4.0, burst=2.0)
    for _ in range(6):
        paced.acquire()
    assert clock.now - 1000.0 == pytest.approx(1.0)  # 2 at once, then 4 at 4/s
    assert paced.calls == 6


def test_slow_start_doubles_the_rate_until_the_first_throttle_then_creeps() -> None:
    clock = SleepingClock()
    paced = budget(clock, initial_rate=4.0, max_rate=100.0, decrease=0.5)
    for _ in range(4):
        paced.on_success()
    assert paced.rate == 8.0
    paced.on_throttle()
    assert paced.rate == 4.0
    for _ in range(4):
        paced.on_success()
    assert paced.rate == pytest.approx(5.0, abs=0.1)  # about +1/s per second now


def test_the_rate_stays_within_its_bounds() -> None:
    clock = SleepingClock()
    paced = budget(clock, initial_rate=1.0, min_rate=0.5, max_rate=2.0, decrease=0.1)
    paced.on_throttle()
    assert paced.rate == 0.5
    for _ in range(50):
        paced.on_success()
    assert paced.rate == 2.0


def test_a_throttled_call_is_retried_within_the_budget_then_given_up() -> None:
    clock = SleepingClock()
    paced = budget(clock, max_attempts=3)
    outcomes: list[object] = [ThrottlingError("slow down"), "ok"]

    def call() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert paced.call(call) == "ok"
    assert paced.throttles == 1

    def always_throttled() -> None:
        raise ThrottlingError("slow down")

    with pytest.raises(ThrottlingError):
        paced.call(always_throttled)
    assert paced.throttles == 4  # three attempts of the second call


def test_transient_errors_back_off_and_permanent_ones_are_not_retried() -> None:
    clock = SleepingClock()
    paced = budget(clock, max_attempts=3)
    attempts: list[int] = []

    def unavailable() -> None:
        attempts.append(1)
        raise ServiceUnavailableError("try again")

    with pytest.raises(ServiceUnavailableError):
        paced.call(unavailable)
    assert len(attempts) == 3
    assert [s for s in clock.slept if s >= 0.5] == [0.5, 1.0]  # exponential, no jitter here

    def denied() -> None:
        attempts.append(1)
        raise AccessDeniedError("no")

    with pytest.raises(AccessDeniedError):
        paced.call(denied)
    assert len(attempts) == 4


def test_the_in_flight_cap_halves_on_a_limit_and_recovers_per_finished_detection() -> None:
    paced = budget(SleepingClock(), initial_in_flight=20, max_in_flight=21)
    paced.on_detection_limit(in_flight=10)
    assert paced.in_flight_limit == 5
    for _ in range(30):
        paced.on_detection_finished()
    assert paced.in_flight_limit == 21


def test_the_poll_timer_learns_how_long_detections_take() -> None:
    timer = DetectionTimer(first_poll_seconds=1.0)
    assert timer.first_poll_after() == 1.0
    # A detection still running at 2 s: ask again later, and ask others later at first too
    assert timer.still_running(2.0) == pytest.approx(1.0)
    assert timer.first_poll_after() == pytest.approx(2.2)
    # One seen finished at 3 s: others are first asked at 3 s, wasting no call
    timer.finished(3.0)
    assert timer.first_poll_after() == 3.0
    timer.finished(3.5)
    assert timer.first_poll_after() == 3.0
