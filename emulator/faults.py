"""Fault injection for the emulator: throttling, latency, AccessDenied and transient 5xx.

Rules match on service, operation, account and region. The hook sits in moto's
`BaseResponse.call_action`, which every request passes through both in-process (mock_aws) and
in server mode, so faults reach clients as real AWS error responses with real error codes. The
same hook enforces the ExternalId condition of trust policies on AssumeRole, which moto does
not (emulator/trust.py).
"""

from __future__ import annotations

import random
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from emulator import trust

_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")


class FaultKind(StrEnum):
    THROTTLE = "throttle"
    ACCESS_DENIED = "access_denied"
    SERVER_ERROR = "server_error"
    LATENCY = "latency"


# (HTTP status, AWS error code, message) each kind answers with.
_ERRORS = {
    FaultKind.THROTTLE: (400, "Throttling", "Rate exceeded"),
    FaultKind.ACCESS_DENIED: (403, "AccessDenied", "User is not authorized to perform: {action}"),
    FaultKind.SERVER_ERROR: (503, "ServiceUnavailable", "Service is unavailable, try again"),
}


@dataclass(frozen=True)
class RequestInfo:
    """What a fault rule can match on. `account_id` is the account the request acts in; for
    STS AssumeRole that is the account of the role being assumed."""

    service: str
    operation: str
    account_id: str
    region: str


@dataclass
class FaultRule:
    kind: FaultKind
    service: str | None = None  # moto's service name: "cloudformation", "sts", ...
    operation: str | None = None  # the API action: "DetectStackDrift", "AssumeRole", ...
    account_id: str | None = None
    region: str | None = None
    rate: float = 1.0  # fraction of matching requests that get the fault
    latency_seconds: float = 0.0  # for LATENCY
    remaining: int | None = None  # stop after this many injections (None: forever)
    injected: int = field(default=0, init=False)

    def matches(self, request: RequestInfo) -> bool:
        return (
            (self.service is None or self.service == request.service)
            and (self.operation is None or self.operation == request.operation)
            and (self.account_id is None or self.account_id == request.account_id)
            and (self.region is None or self.region == request.region)
            and (self.remaining is None or self.remaining > 0)
        )


class TokenBucket:
    """`rate` requests a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now
        self.allowed = 0
        self.throttled = 0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.allowed += 1
            return True
        self.throttled += 1
        return False


_RATE_LIMITED = FaultRule(FaultKind.THROTTLE)  # what a rate-limited request is answered with


class FaultInjector:
    """Holds the rules and decides, per request, which fault (if any) to inject."""

    def __init__(
        self,
        seed: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._sleep = sleep
        self._clock = clock
        self._rate_limits: dict[str, tuple[float, float]] = {}
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def set_rate_limit(self, service: str, rate: float, burst: float | None = None) -> None:
        """Throttle `service` per account-region beyond `rate` requests a second (like AWS's
        per-account API limits), allowing bursts of `burst` (default: one second's worth)."""
        with self._lock:
            self._rate_limits[service] = (rate, burst if burst is not None else max(1.0, rate))
            self._buckets = {k: v for k, v in self._buckets.items() if k[0] != service}

    def rate_limit_stats(self, service: str) -> dict[tuple[str, str], dict[str, int]]:
        """(account, region) -> requests allowed and throttled by the rate limit."""
        with self._lock:
            return {
                (account, region): {"allowed": b.allowed, "throttled": b.throttled}
                for (name, account, region), b in self._buckets.items()
                if name == service
            }

    def _within_rate_limit(self, request: RequestInfo) -> bool:
        limit = self._rate_limits.get(request.service)
        if limit is None:
            return True
        key = (request.service, request.account_id, request.region)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(limit[0], limit[1], now)
        return bucket.take(now)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rate_limits.clear()
            self._buckets.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, request: RequestInfo) -> FaultRule | None:
        """Apply matching latency rules (by sleeping) and return the error rule to answer with."""
        delay = 0.0
        chosen: FaultRule | None = None
        with self._lock:
            if not self._within_rate_limit(request):
                chosen = _RATE_LIMITED
            for rule in self._rules:
                if not rule.matches(request) or self._random.random() >= rule.rate:
                    continue
                if rule.kind is FaultKind.LATENCY:
                    delay += rule.latency_seconds
                elif chosen is None:
                    chosen = rule
                else:
                    continue
                rule.injected += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
        if delay:
            self._sleep(delay)
        return chosen


class InjectedFault(ServiceException):
    """Defined outside moto's packages so moto serialises it with the called service's model."""


_active: FaultInjector | None = None
_original_call_action = BaseResponse.call_action


def _request_info(response: BaseResponse) -> RequestInfo:
    operation = response._get_action() or ""
    account_id = response.current_account
    if operation == "AssumeRole":
        match = _ROLE_ACCOUNT.match(response._get_param("RoleArn") or "")
        if match:
            account_id = match[1]
    return RequestInfo(response.service_name or "", operation, account_id, response.region)


def _error_response(response: BaseResponse, status: int, code: str, message: str) -> Any:
    with warnings.catch_warnings():
        # Throttling etc. are common errors, not in each service's model: moto warns.
        warnings.simplefilter("ignore", UserWarning)
        _, headers, body = response.serialized(ActionResult(InjectedFault(code, message)))
    headers["status"] = str(status)
    return status, headers, body


def _call_action_with_faults(self: BaseResponse) -> Any:
    injector = _active
    if injector is not None:
        request = _request_info(self)
        rule = injector.decide(request)
        if rule is not None:
            status, code, message = _ERRORS[rule.kind]
            return _error_response(self, status, code, message.format(action=request.operation))
        if request.operation == "AssumeRole" and request.service == "sts":
            role_arn = self._get_param("RoleArn") or ""
            external_id = self._get_param("ExternalId")
            denied = trust.denied_message(role_arn, external_id, request.account_id)
            if denied:
                return _error_response(self, 403, "AccessDenied", denied)
    return _original_call_action(self)


def install(injector: FaultInjector) -> None:
    """Route every emulated request through `injector` (until `uninstall`)."""
    global _active
    _active = injector
    BaseResponse.call_action = _call_action_with_faults  # type: ignore[method-assign]


def uninstall() -> None:
    global _active
    _active = None
    BaseResponse.call_action = _original_call_action  # type: ignore[method-assign]


@contextmanager
def injected_faults(seed: int = 0) -> Iterator[FaultInjector]:
    injector = FaultInjector(seed)
    install(injector)
    try:
        yield injector
    finally:
        uninstall()
