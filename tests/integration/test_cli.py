"""`driftwarden scan` against the emulator: exit codes and output formats."""

from __future__ import annotations

import io
import json

import pytest

from driftwarden.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_IN_SYNC, main
from emulator import drift
from emulator.faults import FaultInjector, FaultKind, FaultRule
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)

pytestmark = pytest.mark.integration

REGION = "eu-west-1"


@pytest.fixture
def organization(aws_emulator: FaultInjector) -> SeededOrganization:
    drift.SETTINGS.detection_seconds = 0.0
    organization = seed_organization(member_count=2)
    for member in organization.members:
        deploy_stack(member_session(member.account_id, REGION), REGION, "orders", ["Queue"])
    return organization


def scan(organization: SeededOrganization, *extra: str, members: int = 2) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    accounts = [a for m in organization.members[:members] for a in ("--account", m.account_id)]
    code = main(["scan", *accounts, "--region", REGION, "--role-name", AUDIT_ROLE_NAME,
                 "--external-id", organization.external_id, *extra], out=out, err=err)  # fmt: skip
    return code, out.getvalue()


def test_in_sync_accounts_exit_0_with_a_table(organization: SeededOrganization) -> None:
    code, output = scan(organization)
    assert code == EXIT_IN_SYNC
    assert output.splitlines()[0].split() == ["account", "region", "stack", "state", "drifted",
                                              "unchecked", "note"]  # fmt: skip
    assert output.count("IN_SYNC") == 2


def test_drift_exits_1_and_shows_the_property_difference(organization: SeededOrganization) -> None:
    account = organization.members[0].account_id
    make_drift(member_session(account, REGION), REGION, "orders", "Queue")

    code, output = scan(organization, "--format", "markdown")

    assert code == EXIT_DRIFT
    assert output.startswith("| account | region | stack | state |")
    assert f"{account}/{REGION}/orders Queue /VisibilityTimeout: expected 60, actual 120" in output


def test_json_output_with_values_redacted(organization: SeededOrganization) -> None:
    make_drift(member_session(organization.members[0].account_id, REGION), REGION, "orders",
               "Queue")  # fmt: skip

    code, output = scan(organization, "--format", "json", "--redact-values", members=1)

    assert code == EXIT_DRIFT
    [target] = json.loads(output)
    [difference] = target["stacks"][0]["resources"][0]["differences"]
    assert (difference["expected_value"], difference["actual_value"]) == ("(redacted)",) * 2
    assert "120" not in output


def test_an_account_that_cannot_be_audited_exits_2(
    organization: SeededOrganization, aws_emulator: FaultInjector
) -> None:
    denied = organization.members[1].account_id
    aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=denied)
    )
    code, output = scan(organization)
    assert code == EXIT_ERROR
    [row] = [line for line in output.splitlines() if line.startswith(denied)]
    assert row.split()[2:4] == ["-", "ERROR"]
    assert "PERMISSION: User is not authorized to perform: AssumeRole" in row


def test_bad_arguments_exit_2() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scan", "--format", "yaml"], out=io.StringIO(), err=io.StringIO())
    assert exited.value.code == EXIT_ERROR
