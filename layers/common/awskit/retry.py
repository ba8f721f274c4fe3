"""Retry whole operations with exponential backoff and full jitter, and a circuit breaker.

Like botocore's retries/standard.py, three things are kept apart: the check that says whether an
error is worth retrying, the backoff that says how long to wait, and the policy that combines
them. Single SDK calls are already retried by botocore (standard/adaptive mode); use this for
whole operations such as "wait for a drift detection" or "scan one account", never around one
SDK call, or attempts multiply.

Clock, sleep and random are injectable so tests can pin delays and transitions exactly.
"""

from __future__ import annotations

import functools
import random as _random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, ParamSpec, TypeVar

from awskit.errors import (
    NETWORK_EXCEPTIONS,
    AccessDeniedError,
    AwsKitError,
    ConfigurationError,
    DependencyError,
    ErrorContext,
    InvalidInputError,
    ResourceNotFoundError,
    StateConflictError,
    error_from_sdk,
)

P = ParamSpec("P")
T = TypeVar("T")

# Errors that say the request itself is wrong: retrying cannot help, and they say nothing about
# the health of the service or account, so they do not trip a circuit breaker either.
PERMANENT_ERROR_TYPES: tuple[type[AwsKitError], ...] = (
    AccessDeniedError,
    InvalidInputError,
    ResourceNotFoundError,
    StateConflictError,
    ConfigurationError,
)


def is_retryable_error(exc: BaseException) -> bool:
    """True for throttling, transient 5xx and network errors (the seed's retryable table)."""
    if isinstance(exc, NETWORK_EXCEPTIONS):
        return True
    return error_from_sdk(exc).retryable


def is_permanent_error(exc: BaseException) -> bool:
    """True for errors that no retry can fix (AccessDenied, ValidationError, not found...)."""
    return isinstance(error_from_sdk(exc), PERMANENT_ERROR_TYPES)


@dataclass(frozen=True)
class ExponentialBackoff:
    """Delay before retry number `attempt` (0-based): min(max_delay, base * exp**attempt),
    scaled by a uniform random factor when jitter is on ("full jitter")."""

    base_delay: float = 0.5
    max_delay: float = 20.0
    exponential_base: float = 2.0
    jitter: bool = True
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def delay(self, attempt: int) -> float:
        capped = min(self.max_delay, self.base_delay * self.exponential_base**attempt)
        return capped * self.random() if self.jitter else capped


class RetryStrategy:
    """Run a callable, retrying retryable failures with backoff, at most `max_retries` times."""

    def __init__(
        self,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        exponential_base: float = 2.0,
        jitter: bool = True,
        *,
        is_retryable: Callable[[BaseException], bool] = is_retryable_error,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
    ) -> None:
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {max_retries}")
        if base_delay < 0 or max_delay < 0:
            raise ConfigurationError("base_delay and max_delay must be >= 0")
        self.max_retries = max_retries
        self.backoff = ExponentialBackoff(base_delay, max_delay, exponential_base, jitter, random)
        self._is_retryable = is_retryable
        self._sleep = sleep
        self._on_retry = on_retry

    def execute_with_retry(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.max_retries or not self._is_retryable(exc):
                    raise
                delay = self.backoff.delay(attempt)
                if self._on_retry is not None:
                    self._on_retry(attempt + 1, exc, delay)
                self._sleep(delay)
                attempt += 1


def with_retry(
    strategy: RetryStrategy | None = None, **strategy_options: Any
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form: `@with_retry(max_retries=5)` or `@with_retry(existing_strategy)`."""
    if strategy is not None and strategy_options:
        raise ConfigurationError("pass either a RetryStrategy or its options, not both")
    chosen = strategy or RetryStrategy(**strategy_options)

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return chosen.execute_with_retry(fn, *args, **kwargs)

        return wrapper

    return decorate


class CircuitState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitOpenError(DependencyError):
    """Raised instead of calling a dependency whose breaker is open."""

    default_suggestions: ClassVar[tuple[str, ...]] = (
        "The target kept failing; calls are paused until the breaker's recovery timeout passes.",
        "See the first error recorded for this target for the underlying cause.",
    )


class CircuitBreaker:
    """CLOSED -> OPEN after `failure_threshold` consecutive counted failures; OPEN -> HALF_OPEN
    once `recovery_timeout` seconds have passed; HALF_OPEN lets one trial call through, which
    closes the breaker on success and re-opens it on failure.

    Permanent errors (see `is_permanent_error`) pass through without counting: an AccessDenied
    says the request is wrong, not that the dependency is unhealthy. Thread-safe.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        counts_as_failure: Callable[[BaseException], bool] = lambda exc: (
            not is_permanent_error(exc)
        ),
    ) -> None:
        if failure_threshold < 1:
            raise ConfigurationError(f"failure_threshold must be >= 1, got {failure_threshold}")
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.name = name
        self._clock = clock
        self._counts_as_failure = counts_as_failure
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current_state()

    @property
    def failure_count(self) -> int:
        return self._failures

    def _current_state(self) -> CircuitState:
        if (
            self._state is CircuitState.OPEN
            and self._clock() - self._opened_at >= self.recovery_timeout
        ):
            self._state = CircuitState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    def _acquire(self) -> None:
        with self._lock:
            state = self._current_state()
            if state is CircuitState.CLOSED:
                return
            if state is CircuitState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            retry_in = max(0.0, self.recovery_timeout - (self._clock() - self._opened_at))
        raise CircuitOpenError(
            f"circuit '{self.name}' is {state.value}; not calling for {retry_in:.1f}s more",
            context=ErrorContext(resource=self.name or None, details={"state": state.value}),
        )

    def record_success(self) -> None:
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if not self._counts_as_failure(exc):
                return
            self._failures += 1
            if was_trial or self._failures >= self.failure_threshold:
                self._state = CircuitState.OPEN
                self._opened_at = self._clock()

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        self._acquire()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self.record_failure(exc)
            raise
        self.record_success()
        return result
