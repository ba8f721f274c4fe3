"""RetryStrategy and backoff: which errors retry, how long each wait is, when to give up."""

from __future__ import annotations

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from awskit.errors import AccessDeniedError, ConfigurationError
from awskit.retry import ExponentialBackoff, RetryStrategy, is_permanent_error, is_retryable_error
from awskit.retry import with_retry as retry_decorator
from tests.helpers import SequenceRandom, client_error


class Flaky:
    """A callable that raises the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.mark.parametrize(
    ("attempt", "random_value", "expected"),
    [
        (0, 1.0, 0.5),  # base
        (1, 1.0, 1.0),  # doubled
        (2, 1.0, 2.0),
        (3, 1.0, 4.0),
        (5, 1.0, 10.0),  # 16.0 capped at max_delay
        (9, 1.0, 10.0),
        (2, 0.25, 0.5),  # full jitter scales the capped delay
        (5, 0.5, 5.0),
        (3, 0.0, 0.0),
    ],
)
def test_backoff_delay_is_capped_exponential_scaled_by_jitter(
    attempt: int, random_value: float, expected: float
) -> None:
    backoff = ExponentialBackoff(
        base_delay=0.5, max_delay=10.0, exponential_base=2.0, random=lambda: random_value
    )
    assert backoff.delay(attempt) == pytest.approx(expected)


def test_backoff_without_jitter_ignores_random() -> None:
    backoff = ExponentialBackoff(base_delay=1.0, max_delay=30.0, exponential_base=3.0, jitter=False)
    assert [backoff.delay(n) for n in range(5)] == [1.0, 3.0, 9.0, 27.0, 30.0]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (client_error("Throttling"), True),
        (client_error("ThrottlingException"), True),
        (client_error("TooManyRequestsException", 429), True),
        (client_error("ProvisionedThroughputExceededException"), True),
        (client_error("RequestLimitExceeded"), True),
        (client_error("InternalFailure", 500), True),
        (client_error("ServiceUnavailable", 503), True),
        (client_error("SomethingNew", 502), True),  # unknown code, transient status
        (EndpointConnectionError(endpoint_url="https://x"), True),
        (ReadTimeoutError(endpoint_url="https://x"), True),
        (client_error("AccessDenied", 403), False),
        (client_error("ValidationError"), False),
        (client_error("ExpiredToken", 403), False),
        (client_error("LimitExceededException"), False),  # a quota, not a rate
        (ValueError("bug"), False),
    ],
)
def test_retryable_errors_follow_the_code_table(error: BaseException, retryable: bool) -> None:
    assert is_retryable_error(error) is retryable


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (client_error("AccessDenied", 403), True),
        (client_error("ValidationError"), True),
        (client_error("ResourceNotFoundException", 404), True),
        (client_error("Throttling"), False),
        (client_error("InternalFailure", 500), False),
        (client_error("ExpiredToken", 403), False),
    ],
)
def test_permanent_errors(error: BaseException, permanent: bool) -> None:
    assert is_permanent_error(error) is permanent


def test_throttling_is_retried_with_exact_jittered_delays() -> None:
    sleeps: list[float] = []
    strategy = RetryStrategy(
        max_retries=3,
        base_delay=1.0,
        max_delay=20.0,
        sleep=sleeps.append,
        random=SequenceRandom(0.5, 0.25, 1.0),
    )
    flaky = Flaky(
        client_error("Throttling"), client_error("Throttling"), client_error("Throttling")
    )

    assert strategy.execute_with_retry(flaky) == "ok"

    assert flaky.calls == 4
    assert sleeps == [0.5, 0.5, 4.0]  # 1*0.5, 2*0.25, 4*1.0


def test_gives_up_after_max_retries_and_raises_the_last_error() -> None:
    sleeps: list[float] = []
    strategy = RetryStrategy(max_retries=2, base_delay=1.0, jitter=False, sleep=sleeps.append)
    last = client_error("Throttling", message="third")
    flaky = Flaky(client_error("Throttling"), client_error("Throttling"), last)

    with pytest.raises(type(last)) as raised:
        strategy.execute_with_retry(flaky)

    assert raised.value is last
    assert flaky.calls == 3
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    "permanent",
    [client_error("AccessDenied", 403), client_error("ValidationError"), ValueError("bug")],
)
def test_permanent_error_is_raised_at_once_without_sleeping(permanent: BaseException) -> None:
    sleeps: list[float] = []
    strategy = RetryStrategy(max_retries=5, sleep=sleeps.append)
    flaky = Flaky(permanent)

    with pytest.raises(type(permanent)):
        strategy.execute_with_retry(flaky)

    assert flaky.calls == 1
    assert sleeps == []


def test_network_errors_are_retried() -> None:
    strategy = RetryStrategy(max_retries=1, sleep=lambda _: None)
    flaky = Flaky(EndpointConnectionError(endpoint_url="https://cloudformation"))
    assert strategy.execute_with_retry(flaky) == "ok"
    assert flaky.calls == 2


def test_on_retry_hears_each_attempt_with_its_error_and_delay() -> None:
    heard: list[tuple[int, str, float]] = []
    strategy = RetryStrategy(
        max_retries=2,
        base_delay=2.0,
        jitter=False,
        sleep=lambda _: None,
        on_retry=lambda attempt, exc, delay: heard.append((attempt, type(exc).__name__, delay)),
    )
    strategy.execute_with_retry(Flaky(client_error("Throttling"), client_error("SlowDown", 503)))
    assert heard == [(1, "ClientError", 2.0), (2, "ClientError", 4.0)]


def test_with_retry_decorator_accepts_options_or_a_strategy() -> None:
    sleeps: list[float] = []
    flaky = Flaky(client_error("Throttling"))

    @retry_decorator(max_retries=1, base_delay=0.1, jitter=False, sleep=sleeps.append)
    def operation() -> str:
        return flaky()

    assert operation() == "ok"
    assert sleeps == [0.1]

    shared = RetryStrategy(max_retries=0)
    wrapped = retry_decorator(shared)(Flaky(AccessDeniedError("no")))
    with pytest.raises(AccessDeniedError):
        wrapped()


def test_with_retry_rejects_a_strategy_and_options_together() -> None:
    with pytest.raises(ConfigurationError):
        retry_decorator(RetryStrategy(), max_retries=2)


@pytest.mark.parametrize("options", [{"max_retries": -1}, {"base_delay": -1.0}])
def test_strategy_rejects_negative_settings(options: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        RetryStrategy(**options)  # type: ignore[arg-type]
