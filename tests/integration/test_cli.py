"""`driftwarden scan` against the emulator: exit codes and output formats."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from driftwarden.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_IN_SYNC, EXIT_OK, main
from emulator import drift
from emulator.demo import TABLE as DEMO_TABLE
from emulator.demo import DemoRun
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


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["scan", "--format", "yaml"], "invalid choice: 'yaml'"),
        (["report", "--table", "t", "--max-stacks", "0"], "at least 1, got '0'"),
        (["bogus"], "invalid choice: 'bogus'"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(arguments) == EXIT_ERROR
    assert message in capsys.readouterr().err


class Terminal(io.StringIO):
    """stderr as a terminal, so the progress bars are drawn."""

    def isatty(self) -> bool:
        return True


def test_scan_draws_a_progress_bar_per_target_on_a_terminal(
    organization: SeededOrganization,
) -> None:
    err = Terminal()
    accounts = [a for m in organization.members for a in ("--account", m.account_id)]

    code = main(["scan", *accounts, "--region", REGION, "--role-name", AUDIT_ROLE_NAME,
                 "--external-id", organization.external_id],
                out=io.StringIO(), err=err)  # fmt: skip

    assert code == EXIT_IN_SYNC
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err.getvalue())  # without colours and moves
    for member in organization.members:
        assert re.search(rf"{member.account_id} {REGION} ━+ 1/1 stacks", drawn), drawn
        assert f"{member.account_id} {REGION}: 1 stack checked (1 in_sync)" in drawn


# --- report ---------------------------------------------------------------------------------


def test_report_of_two_scans_shows_the_drift_with_its_age_and_history(
    organization: SeededOrganization, tmp_path: Path
) -> None:
    # Given a scan in sync, then drift, then a second scan (both saved as JSON)
    first, second = tmp_path / "monday.json", tmp_path / "tuesday.json"
    first.write_text(scan(organization, "--format", "json", members=1)[1])
    make_drift(member_session(organization.members[0].account_id, REGION), REGION, "orders",
               "Queue")  # fmt: skip
    second.write_text(scan(organization, "--format", "json", members=1)[1])
    output = tmp_path / "report.html"

    # When the report is made of both
    out = io.StringIO()
    code = main(["report", str(first), str(second), "-o", str(output)], out=out)

    # Then it is written, and shows the drift, how long it has lasted and both checks
    assert code == EXIT_IN_SYNC
    assert out.getvalue().strip() == f"{output}: 1 stack, 1 drifted"
    page = output.read_text()
    account = organization.members[0].account_id
    assert f'id="s-{account}-{REGION}-orders" data-state="DRIFTED"' in page
    assert "drifted for less than a minute" in page
    assert re.findall(r'<i class="(\w+)" title=', page) == ["IN_SYNC", "DRIFTED"]
    assert "<td>60</td><td>120</td>" in page


def test_report_from_the_services_table_includes_the_accounts_it_could_not_audit(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"

    code = main(["report", "--table", DEMO_TABLE, "--region", "us-east-1", "-o", str(output)],
                out=io.StringIO())  # fmt: skip

    assert code == EXIT_IN_SYNC
    page = output.read_text()
    assert page.count('<details class="stack"') == 3  # us-east-1's stacks
    assert 'data-account="333333333333" data-region="us-east-1"><a' in page
    assert "PERMISSION (AccessDenied)" in page


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["report"], "give scan JSON files or --table, one of the two"),
        (["report", "scan.json", "--table", "t"], "give scan JSON files or --table"),
        (["report", "missing.json"], "cannot read missing.json"),
        (["report", "broken.json"], "broken.json is not the JSON of `driftwarden scan"),
    ],
)
def test_report_with_bad_input_exits_2_and_keeps_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("broken.json").write_text('[{"account_id": "1"}]')
    Path("scan.json").write_text("[]")
    Path("drift-report.html").write_text("previous")
    err = io.StringIO()

    assert main(arguments, out=io.StringIO(), err=err) == EXIT_ERROR

    assert message in err.getvalue()
    assert Path("drift-report.html").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- validate-setup --------------------------------------------------------------------------


def validate(organization: SeededOrganization, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    accounts = [a for m in organization.members for a in ("--account", m.account_id)]
    code = main(["validate-setup", *accounts, "--region", REGION, "--role-name",
                 AUDIT_ROLE_NAME, *extra], out=out, err=io.StringIO())  # fmt: skip
    return code, out.getvalue()


def test_validate_setup_passes_when_every_role_can_be_assumed_and_detect_drift(
    organization: SeededOrganization,
) -> None:
    code, output = validate(organization, "--external-id", organization.external_id)

    assert code == EXIT_OK
    assert output.splitlines()[0].startswith("ok    caller")
    assert output.count("assume DriftwardenAudit with the ExternalId") == 2
    assert output.count("refuses AssumeRole without the ExternalId") == 2
    assert output.count("cloudformation:DetectStackDrift") == 2
    assert output.strip().endswith("13 of 13 checks passed.")


def test_validate_setup_names_each_missing_piece_with_its_fix(
    organization: SeededOrganization, aws_emulator: FaultInjector
) -> None:
    # Given member 1's role lacks DetectStackDrift and member 2's role cannot be assumed
    lacking, unreachable = (m.account_id for m in organization.members)
    aws_emulator.add(FaultRule(FaultKind.ACCESS_DENIED, service="cloudformation",
                               operation="DetectStackDrift", account_id=lacking))  # fmt: skip
    aws_emulator.add(FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole",
                               account_id=unreachable))  # fmt: skip

    code, output = validate(organization, "--external-id", organization.external_id)

    assert code == EXIT_ERROR
    lines = output.splitlines()
    denied = lines.index(f"FAIL  {lacking} {REGION:<13} cloudformation:DetectStackDrift: denied")
    assert lines[denied + 1].startswith("      fix: Allow cloudformation:DetectStackDrift in the "
                                        f"audit role's policy in {lacking}")  # fmt: skip
    assumed = next(i for i, line in enumerate(lines) if line.startswith(f"FAIL  {unreachable}"))
    assert "assume DriftwardenAudit with the ExternalId: AccessDenied" in lines[assumed]
    assert (
        f"Deploy member-role.yaml in {unreachable} (a stack or StackSet instance) with "
        f"RoleName={AUDIT_ROLE_NAME}, WorkerRoleArn=<the service's" in lines[assumed + 1]
    )
    assert "Check that --external-id equals" in lines[assumed + 2]
    assert not any(line.startswith(f"ok    {unreachable} {REGION}") for line in lines)
    assert output.strip().endswith("fix the 2 above and run it again.")


@pytest.mark.parametrize("external_id", [None, "not-the-one"])
def test_validate_setup_says_when_the_external_id_is_missing_or_wrong(
    organization: SeededOrganization, external_id: str | None
) -> None:
    code, output = validate(organization, *(["--external-id", external_id] if external_id else []))

    assert code == EXIT_ERROR
    failures = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert [line.split()[1] for line in failures] == [m.account_id for m in organization.members]
    fix = "Pass --external-id" if external_id is None else "Check that --external-id equals"
    assert output.count(fix) == 2


def test_validate_setup_flags_a_role_that_trusts_without_an_external_id(
    organization: SeededOrganization,
) -> None:
    # Given member 1's audit role trusts its principal with no ExternalId condition
    loose = organization.members[0].account_id
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sts:AssumeRole"}]}  # fmt: skip
    member_session(loose, REGION).client("iam").update_assume_role_policy(
        RoleName=AUDIT_ROLE_NAME, PolicyDocument=json.dumps(trust)
    )

    code, output = validate(organization, "--external-id", organization.external_id)

    assert code == EXIT_ERROR
    lines = output.splitlines()
    flagged = lines.index(f"FAIL  {loose:<26} refuses AssumeRole without the ExternalId: "
                          "it was assumed without one")  # fmt: skip
    assert "Add the sts:ExternalId condition" in lines[flagged + 1]
    assert output.count("FAIL") == 1


def test_validate_setup_without_credentials_says_how_to_provide_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    out = io.StringIO()

    assert main(["validate-setup", "--region", REGION], out=out) == EXIT_ERROR

    assert "FAIL  caller" in out.getvalue()
    assert "no AWS credentials found" in out.getvalue()
    assert "fix: " in out.getvalue()


def test_the_driftwarden_command_is_installed() -> None:
    command = Path(sys.executable).parent / "driftwarden"
    completed = subprocess.run([str(command), "--help"], capture_output=True, text=True,  # noqa: S603 (our own command)
                               check=False)  # fmt: skip
    assert completed.returncode == 0
    assert "validate-setup" in completed.stdout
