"""The demo's seeded organization audits to the expected drift, coverage and denied account."""

from __future__ import annotations

import pytest

from driftwarden.models import ResourceStatus, StackState
from emulator import demo
from emulator.faults import FaultInjector, FaultKind, FaultRule

pytestmark = pytest.mark.integration


def test_demo_audit_finds_the_seeded_drift_and_the_denied_account(
    aws_emulator: FaultInjector,
) -> None:
    organization = demo.seed()
    denied = organization.members[demo.DENIED_MEMBER].account_id
    aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=denied)
    )

    outcomes = demo.audit(organization)

    by_target = {(o.result.account_id, o.result.region): o.result for o in outcomes}
    assert len(outcomes) == 6
    first = {s.stack_name: s for s in by_target[("111111111111", "us-east-1")].stacks}
    assert first["payments"].state is StackState.DRIFTED
    assert {r.logical_resource_id for r in first["payments"].drifted_resources} == {
        "Queue", "Function"
    }  # fmt: skip
    assert first["network"].state is StackState.NOT_CHECKED
    assert first["network"].coverage.not_checked == 1
    [search] = by_target[("222222222222", "us-east-1")].stacks
    assert [r.status for r in search.drifted_resources] == [ResourceStatus.DELETED]
    [identity] = by_target[("222222222222", "eu-west-1")].stacks
    assert identity.state is StackState.DRIFTED  # through its nested stack
    assert [n.state for n in identity.nested_stacks] == [StackState.DRIFTED]
    for region in demo.REGIONS:
        error = by_target[(denied, region)].error
        assert error is not None
        assert error.category == "PERMISSION"

    text = demo.render(outcomes)
    assert "/VisibilityTimeout: expected 60, actual 120 (NOT_EQUAL)" in text
    assert "/ProvisionedThroughput/ReadCapacityUnits: expected 5, actual 10" in text
    assert f"Account {denied} was not audited (us-east-1, eu-west-1):" in text
    assert text.count("Suggested fixes:") == 1
    assert "payments: NEW (event published)" in text
