"""The demo: the service's own path (schedule -> queue -> worker -> API) on a seeded
organization finds the seeded drift and the denied account, and logs no credentials."""

from __future__ import annotations

import logging

import boto3
import pytest
from moto.sts.models import sts_backends

from driftwarden.settings import clear_settings
from driftwarden.wiring import clear_wiring
from emulator import demo
from emulator.faults import FaultInjector
from tests.conftest import FAKE_SECRET_KEY

pytestmark = pytest.mark.integration


def test_demo_audit_finds_the_seeded_drift_and_the_denied_account(
    demo_run: demo.DemoRun,
) -> None:
    run = demo_run.run
    assert (run["status"], run["targets_done"], run["target_count"]) == ("COMPLETED", 6, 6)
    results = {(s["result"]["account_id"], s["result"]["region"], s["result"]["stack_name"]):
               s for s in demo_run.stacks}  # fmt: skip
    payments = results[("111111111111", "us-east-1", "payments")]
    assert payments["result"]["state"] == "DRIFTED"
    assert payments["transition"] == "NEW"
    assert results[("111111111111", "us-east-1", "network")]["result"]["state"] == "NOT_CHECKED"
    identity = results[("222222222222", "eu-west-1", "identity")]["result"]
    assert identity["state"] == "DRIFTED"  # through its nested stack
    assert [n["state"] for n in identity["nested_stacks"]] == ["DRIFTED"]
    denied = [t for t in run["targets"] if t["account_id"] == "333333333333"]
    assert [t["error_detail"]["category"] for t in denied] == ["PERMISSION", "PERMISSION"]

    text = demo.render(demo_run)
    assert "/VisibilityTimeout: expected 60, actual 120 (NOT_EQUAL)" in text
    assert "/ProvisionedThroughput/ReadCapacityUnits: expected 5, actual 10" in text
    assert "Account 333333333333 was not audited (us-east-1, eu-west-1):" in text
    assert text.count("Suggested fixes:") == 1


def test_nothing_the_handlers_log_carries_a_secret_key_or_session_token(
    aws_emulator: FaultInjector,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a demo-sized run with every handler logging at DEBUG (and awskit's own logger)
    organization = demo.seed()
    for name in demo.service_environment(organization, "queue"):
        monkeypatch.setenv(name, "")  # records the original value (or absence) to restore
        monkeypatch.delenv(name)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    caplog.set_level(logging.DEBUG, logger="awskit")
    from driftwarden.handlers import api, schedule, stack_events, worker

    for module in (api, schedule, stack_events, worker):
        module.logger.setLevel("DEBUG")
    demo_run = demo.audit(organization)
    clear_settings()
    clear_wiring()

    # When everything written is gathered: stdout/stderr, log records, the findings group
    captured = capfd.readouterr()
    findings = boto3.client("logs", region_name=demo.HOME_REGION).filter_log_events(
        logGroupName=demo.FINDINGS_LOG_GROUP
    )["events"]
    everything = "\n".join([captured.out, captured.err, caplog.text,
                            *(e["message"] for e in findings)])  # fmt: skip

    # Then none of the secrets in use appears: the source keys, every assumed role's secret
    # key and session token
    secrets = {FAKE_SECRET_KEY, "FOOBARSECRET"}
    for account_backends in sts_backends.values():
        for role in account_backends["global"].assumed_roles:
            secrets |= {role.secret_access_key, role.session_token}
    assert len(secrets) > 2 + 3  # the demo assumed roles in several accounts
    assert demo_run.work_items == 6
    assert findings
    assert "assumed role" in caplog.text
    leaked = [secret for secret in secrets if secret in everything]
    assert leaked == []
