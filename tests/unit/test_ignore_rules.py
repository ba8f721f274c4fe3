"""Ignore rules mark accepted drift without losing it, and stop matching after they expire."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from driftwarden.ignore_rules import IgnoreRule, apply_ignore_rules
from driftwarden.models import PropertyDifference

TODAY = date(2026, 11, 21)


def difference(**overrides: Any) -> PropertyDifference:
    fields: dict[str, Any] = {
        "account_id": "111111111111",
        "region": "eu-west-1",
        "stack_name": "payments-prod",
        "logical_resource_id": "Function",
        "resource_type": "AWS::Lambda::Function",
        "property_path": "/Environment/Variables/DEBUG",
        "difference_type": "ADD",
        "actual_value": "1",
    }
    return PropertyDifference(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ({}, True),
        ({"account_id": "111111111111"}, True),
        ({"account_id": "222222222222"}, False),
        ({"region": "eu-*"}, True),
        ({"region": "us-*"}, False),
        ({"stack_name": "payments-*"}, True),
        ({"stack_name": "Payments-*"}, False),  # case-sensitive, like stack names
        ({"resource_type": "AWS::Lambda::*"}, True),
        ({"resource_type": "AWS::SQS::Queue"}, False),
        ({"property_path": "/Environment/Variables/*"}, True),
        ({"property_path": "/Timeout"}, False),
        ({"logical_resource_id": "Func*"}, True),
        ({"expires": date(2026, 11, 21)}, True),  # the expiry day itself still applies
        ({"expires": date(2026, 11, 20)}, False),
    ],
)
def test_rule_matching(rule: dict[str, Any], matches: bool) -> None:
    assert IgnoreRule(reason="accepted", **rule).matches(difference(), TODAY) is matches


def test_matched_differences_are_kept_and_marked_with_the_first_rule_reason() -> None:
    rules = [
        IgnoreRule(reason="debug flags are toggled by on-call", property_path="/Environment/*"),
        IgnoreRule(reason="second rule never wins", resource_type="AWS::Lambda::*"),
    ]
    found = [difference(), difference(property_path="/Timeout", difference_type="NOT_EQUAL")]

    marked = apply_ignore_rules(found, rules, TODAY)

    assert len(marked) == 2
    assert marked[0].ignored
    assert marked[0].ignored_by == "debug flags are toggled by on-call"
    assert marked[0].actual_value == "1"
    assert marked[1].ignored_by == "second rule never wins"
    assert not found[0].ignored  # the input is not changed


def test_an_expired_rule_lets_the_difference_count_again() -> None:
    rule = IgnoreRule(reason="migration window", expires=date(2026, 10, 31))
    assert not apply_ignore_rules([difference()], [rule], TODAY)[0].ignored


@pytest.mark.parametrize(
    "rule",
    [
        {"reason": ""},
        {"reason": "x", "property_path": "Environment"},
        {"reason": "x", "unknown_field": "*"},
        {"reason": "x", "expires": "next tuesday"},
    ],
)
def test_bad_rules_are_refused_with_a_clear_error(rule: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        IgnoreRule(**rule)


def test_rules_load_from_plain_data() -> None:
    rule = IgnoreRule.model_validate(
        {"reason": "tags managed by FinOps", "property_path": "/Tags/*", "expires": "2027-01-31"}
    )
    assert rule.expires == date(2027, 1, 31)
    assert rule.matches(difference(property_path="/Tags/0/Value"), TODAY)
