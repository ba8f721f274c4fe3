"""CircuitBreaker transitions, pinned with an injected clock."""

from __future__ import annotations

import pytest

from awskit.errors import ConfigurationError, ErrorCategory
from awskit.retry import CircuitBreaker, CircuitOpenError, CircuitState
from tests.helpers import FakeClock, client_error


def fail() -> None:
    raise client_error("InternalFailure", 500)


def deny() -> None:
    raise client_error("AccessDenied", 403)


def succeed() -> str:
    return "ok"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=3, recovery_timeout=30.0, name="111111111111", clock=clock
    )


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.failure_threshold):
        with pytest.raises(Exception, match="InternalFailure"):
            breaker.call(fail)


def test_opens_after_threshold_consecutive_failures(breaker: CircuitBreaker) -> None:
    for expected_count in (1, 2):
        with pytest.raises(Exception, match="InternalFailure"):
            breaker.call(fail)
        assert breaker.state is CircuitState.CLOSED
        assert breaker.failure_count == expected_count

    with pytest.raises(Exception, match="InternalFailure"):
        breaker.call(fail)
    assert breaker.state is CircuitState.OPEN


def test_open_breaker_fails_fast_without_calling(breaker: CircuitBreaker) -> None:
    trip(breaker)
    calls: list[str] = []

    with pytest.raises(CircuitOpenError) as raised:
        breaker.call(lambda: calls.append("called"))

    assert calls == []
    assert raised.value.category is ErrorCategory.DEPENDENCY
    assert "111111111111" in raised.value.message
    assert raised.value.suggestions


def test_half_opens_exactly_when_recovery_timeout_has_passed(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    trip(breaker)
    clock.advance(29.999)
    assert breaker.state is CircuitState.OPEN
    clock.advance(0.001)
    assert breaker.state is CircuitState.HALF_OPEN


def test_successful_trial_closes_and_resets_the_count(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    trip(breaker)
    clock.advance(30)

    assert breaker.call(succeed) == "ok"

    assert breaker.state is CircuitState.CLOSED
    assert breaker.failure_count == 0


def test_failed_trial_reopens_for_a_fresh_recovery_timeout(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    trip(breaker)
    clock.advance(30)

    with pytest.raises(Exception, match="InternalFailure"):
        breaker.call(fail)

    assert breaker.state is CircuitState.OPEN
    clock.advance(29)
    assert breaker.state is CircuitState.OPEN
    clock.advance(1)
    assert breaker.state is CircuitState.HALF_OPEN


def test_half_open_lets_only_one_trial_through_at_a_time(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    trip(breaker)
    clock.advance(30)
    second_call: list[BaseException] = []

    def trial_that_overlaps_another_call() -> str:
        try:
            breaker.call(succeed)
        except CircuitOpenError as exc:
            second_call.append(exc)
        return "trial"

    assert breaker.call(trial_that_overlaps_another_call) == "trial"
    assert len(second_call) == 1
    assert breaker.state is CircuitState.CLOSED


def test_permanent_errors_do_not_count(breaker: CircuitBreaker) -> None:
    for _ in range(10):
        with pytest.raises(Exception, match="AccessDenied"):
            breaker.call(deny)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.failure_count == 0


def test_success_resets_consecutive_failures(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        with pytest.raises(Exception, match="InternalFailure"):
            breaker.call(fail)
    breaker.call(succeed)
    for _ in range(2):
        with pytest.raises(Exception, match="InternalFailure"):
            breaker.call(fail)
    assert breaker.state is CircuitState.CLOSED


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ConfigurationError):
        CircuitBreaker(failure_threshold=0)
