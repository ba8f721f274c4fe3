"""The demo's seeded organization audits to the expected drift, coverage and denied account."""

from __future__ import annotations

import pytest

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

    results = demo.audit(organization)

    by_target = {(r.account_id, r.region): r for r in results}
    assert len(results) == 6
    payments = {s.name: s for s in by_target[("111111111111", "us-east-1")].stacks}
    assert payments["payments"].drift_status == "DRIFTED"
    assert {d["LogicalResourceId"] for d in payments["payments"].drifted} == {"Queue", "Function"}
    assert payments["network"].drift_status == "IN_SYNC"
    assert payments["network"].not_checked == 1
    search = by_target[("222222222222", "us-east-1")].stacks[0]
    assert [d["StackResourceDriftStatus"] for d in search.drifted] == ["DELETED"]
    assert by_target[("222222222222", "eu-west-1")].stacks[0].drift_status == "IN_SYNC"
    for region in demo.REGIONS:
        error = by_target[(denied, region)].error
        assert error is not None
        assert error.category.value == "PERMISSION"

    text = demo.render(results)
    assert "/VisibilityTimeout: expected 60, actual 120 (NOT_EQUAL)" in text
    assert "/ProvisionedThroughput/ReadCapacityUnits: expected 5, actual 10" in text
    assert f"Account {denied} was not audited (us-east-1, eu-west-1):" in text
    assert text.count("Suggested fixes:") == 1
