"""The fault injector's decisions: matching, rates, latency, limits and the token bucket."""

from __future__ import annotations

import pytest

from emulator.faults import FaultInjector, FaultKind, FaultRule, RequestInfo
from tests.helpers import FakeClock

DETECT = RequestInfo("cloudformation", "DetectStackDrift", "111111111111", "us-east-1")


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        (FaultRule(FaultKind.THROTTLE), True),
        (FaultRule(FaultKind.THROTTLE, service="cloudformation"), True),
        (FaultRule(FaultKind.THROTTLE, service="sts"), False),
        (FaultRule(FaultKind.THROTTLE, operation="DetectStackDrift"), True),
        (FaultRule(FaultKind.THROTTLE, operation="ListStacks"), False),
        (FaultRule(FaultKind.THROTTLE, account_id="111111111111"), True),
        (FaultRule(FaultKind.THROTTLE, account_id="222222222222"), False),
        (FaultRule(FaultKind.THROTTLE, region="eu-west-1"), False),
        (FaultRule(FaultKind.THROTTLE, remaining=0), False),
    ],
)
def test_rules_match_on_service_operation_account_and_region(
    rule: FaultRule, matches: bool
) -> None:
    assert rule.matches(DETECT) is matches


def test_a_rate_injects_that_fraction_of_requests_reproducibly() -> None:
    def throttled_count(seed: int) -> int:
        injector = FaultInjector(seed=seed)
        injector.add(FaultRule(FaultKind.THROTTLE, rate=0.3))
        return sum(injector.decide(DETECT) is not None for _ in range(2000))

    count = throttled_count(seed=7)
    assert 540 <= count <= 660  # 30% of 2000, within about 3 standard deviations
    assert throttled_count(seed=7) == count


def test_latency_rules_add_up_and_do_not_hide_an_error() -> None:
    slept: list[float] = []
    injector = FaultInjector(sleep=slept.append)
    injector.add(FaultRule(FaultKind.LATENCY, latency_seconds=0.05))
    injector.add(FaultRule(FaultKind.LATENCY, service="cloudformation", latency_seconds=0.02))
    denial = injector.add(FaultRule(FaultKind.ACCESS_DENIED, operation="DetectStackDrift"))

    assert injector.decide(DETECT) is denial
    assert slept == [pytest.approx(0.07)]


def test_first_matching_error_rule_wins_and_remaining_counts_down() -> None:
    injector = FaultInjector()
    first = injector.add(FaultRule(FaultKind.SERVER_ERROR, remaining=2))
    second = injector.add(FaultRule(FaultKind.THROTTLE))

    decisions = [injector.decide(DETECT) for _ in range(4)]

    assert decisions == [first, first, second, second]
    assert (first.injected, first.remaining, second.injected) == (2, 0, 2)


def test_token_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    injector = FaultInjector(clock=clock)
    injector.set_rate_limit("cloudformation", rate=4.0, burst=2.0)

    def allowed() -> bool:
        return injector.decide(DETECT) is None

    assert [allowed() for _ in range(3)] == [True, True, False]
    clock.advance(0.25)  # one token at 4 a second
    assert [allowed() for _ in range(2)] == [True, False]
    clock.advance(10)  # refills to the burst, not beyond
    assert [allowed() for _ in range(3)] == [True, True, False]
    other_service = RequestInfo("sts", "AssumeRole", "111111111111", "us-east-1")
    assert all(injector.decide(other_service) is None for _ in range(10))
    assert injector.rate_limit_stats("cloudformation") == {
        ("111111111111", "us-east-1"): {"allowed": 5, "throttled": 3}
    }
