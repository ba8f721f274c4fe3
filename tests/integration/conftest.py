"""Fixtures for handler tests: the service's own resources in the emulator, its settings in
the environment, the events/ samples, and a Lambda context stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from driftwarden.settings import clear_settings
from driftwarden.wiring import clear_wiring
from emulator import drift
from emulator.faults import FaultInjector
from emulator.lambda_runtime import receive_sqs_records
from emulator.seed import (
    SeededOrganization,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from emulator.tables import create_table_from_template

REGION = "eu-west-1"
HOME = "us-east-1"

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


@dataclass
class Service:
    organization: SeededOrganization
    queue_url: str
    sqs: Any

    def drain(self) -> list[dict[str, Any]]:
        """Every queued message, as SQS records of a worker event."""
        records: list[dict[str, Any]] = []
        while batch := receive_sqs_records(self.sqs, self.queue_url):
            records.extend(batch)
        return records


@pytest.fixture
def service(aws_emulator: FaultInjector, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    drift.SETTINGS.detection_seconds = 0.05
    organization = seed_organization(member_count=2)
    admin = member_session(organization.members[0].account_id, REGION)
    deploy_stack(admin, REGION, "orders", ["Queue"])
    make_drift(admin, REGION, "orders", "Queue")
    create_table_from_template(boto3.client("dynamodb", region_name=HOME), "driftwarden-test")
    sqs = boto3.client("sqs", region_name=HOME)
    queue_url = sqs.create_queue(QueueName="work")["QueueUrl"]
    boto3.client("logs", region_name=HOME).create_log_group(logGroupName="/driftwarden/findings")
    environment = {
        "TABLE_NAME": "driftwarden-test",
        "QUEUE_URL": queue_url,
        "REGIONS": REGION,
        "ACCOUNT_IDS": ",".join(m.account_id for m in organization.members),
        "EXTERNAL_ID": organization.external_id,
        "FINDINGS_LOG_GROUP": "/driftwarden/findings",
        "DEBOUNCE_SECONDS": "120",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"DRIFTWARDEN_{name}", value)
    clear_settings()
    clear_wiring()
    yield Service(organization, queue_url, sqs)
    clear_settings()
    clear_wiring()
