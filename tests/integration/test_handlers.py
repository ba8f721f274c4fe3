"""The schedule, worker and stack-event handlers, driven by the events/ files, in process,
against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from driftwarden.handlers import schedule, stack_events, worker
from driftwarden.settings import clear_settings
from driftwarden.wiring import clear_wiring
from emulator import drift
from emulator.faults import FaultInjector, FaultKind, FaultRule
from emulator.seed import (
    SeededOrganization,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from emulator.tables import create_table_from_template

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGION = "eu-west-1"
HOME = "us-east-1"


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


@dataclass
class LambdaContext:
    """What handlers read of Lambda's context object."""

    function_name: str = "driftwarden-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:driftwarden-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    remaining_millis: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@dataclass
class Service:
    organization: SeededOrganization
    queue_url: str
    sqs: Any

    def drain(self) -> list[dict[str, Any]]:
        """Every queued message, as SQS records of a worker event."""
        records: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return records
            for message in got["Messages"]:
                self.sqs.delete_message(QueueUrl=self.queue_url,
                                        ReceiptHandle=message["ReceiptHandle"])  # fmt: skip
                record = load_event("worker.json")["Records"][0]
                records.append({**record, "messageId": message["MessageId"],
                                "body": message["Body"]})  # fmt: skip


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


def test_a_scheduled_run_queues_each_target_once(service: Service) -> None:
    event = load_event("schedule.json")

    first = schedule.handler(event, LambdaContext())
    again = schedule.handler(event, LambdaContext())  # EventBridge delivers at least once

    assert first == {"run_id": f"schedule-{event['id']}", "targets": 2, "already_scheduled": False}
    assert again["already_scheduled"] is True
    bodies = [json.loads(r["body"]) for r in service.drain()]
    assert sorted(b["account_id"] for b in bodies) == [
        m.account_id for m in service.organization.members
    ]
    assert {b["region"] for b in bodies} == {REGION}


def test_the_worker_audits_queued_targets_and_completes_the_run(service: Service) -> None:
    schedule.handler(load_event("schedule.json"), LambdaContext())
    records = service.drain()

    response = worker.handler({"Records": records}, LambdaContext())

    assert response == {"batchItemFailures": []}
    table = boto3.client("dynamodb", region_name=HOME)
    run_id = json.loads(records[0]["body"])["run_id"]
    run_key = {"PK": {"S": f"RUN#{run_id}"}, "SK": {"S": "META"}}
    meta = table.get_item(TableName="driftwarden-test", Key=run_key)["Item"]
    assert meta["status"]["S"] == "COMPLETED"
    latest = table.get_item(TableName="driftwarden-test", Key={
        "PK": {"S": f"STACK#{service.organization.members[0].account_id}#{REGION}#orders"},
        "SK": {"S": "LATEST"},
    })["Item"]  # fmt: skip
    assert latest["state"]["S"] == "DRIFTED"


def test_the_sample_worker_event_runs_as_sam_local_invoke_would(service: Service) -> None:
    schedule.handler(load_event("schedule.json"), LambdaContext())  # creates the run it names
    service.drain()

    assert worker.handler(load_event("worker.json"), LambdaContext()) == {"batchItemFailures": []}


def test_a_target_that_may_recover_goes_back_to_the_queue_alone(
    service: Service, aws_emulator: FaultInjector
) -> None:
    schedule.handler(load_event("schedule.json"), LambdaContext())
    records = service.drain()
    broken = service.organization.members[1].account_id
    aws_emulator.add(FaultRule(FaultKind.SERVER_ERROR, service="cloudformation", account_id=broken))

    response = worker.handler({"Records": records}, LambdaContext())

    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == {
        r["messageId"] for r in records if json.loads(r["body"])["account_id"] == broken
    }


def test_a_worker_short_of_time_requeues_the_rest(service: Service) -> None:
    admin = member_session(service.organization.members[0].account_id, REGION)
    for number in range(3):
        deploy_stack(admin, REGION, f"extra-{number}", ["Queue"])
    schedule.handler(load_event("schedule.json"), LambdaContext())
    records = service.drain()

    worker.handler({"Records": records}, LambdaContext(remaining_millis=1_000))  # < margin

    continued = [json.loads(r["body"]) for r in service.drain()]
    assert {c["attempt"] for c in continued} == {1}
    assert sorted(n for c in continued for n in c["stack_names"] if c["account_id"] ==
                  service.organization.members[0].account_id) == [
        "extra-0", "extra-1", "extra-2", "orders"
    ]  # fmt: skip


def test_a_settled_stack_is_checked_once_per_debounce_window(service: Service) -> None:
    event = load_event("stack_status_change.json")
    event["account"] = service.organization.members[0].account_id

    queued = stack_events.handler(event, LambdaContext())
    repeated = stack_events.handler({**event, "id": "another-event"}, LambdaContext())
    in_progress = {**event["detail"], "status-details": {"status": "UPDATE_IN_PROGRESS"}}
    busy = stack_events.handler({**event, "id": "third", "detail": in_progress}, LambdaContext())

    assert queued["queued"] is True
    assert repeated == {"queued": False, "run_id": None, "reason": "debounced"}
    assert busy["queued"] is False
    [record] = service.drain()
    assert json.loads(record["body"])["stack_names"] == ["orders"]


def test_a_malformed_event_is_rejected_clearly(service: Service) -> None:
    with pytest.raises(Exception, match="detail"):
        stack_events.handler({**load_event("stack_status_change.json"), "detail": {}},
                             LambdaContext())  # fmt: skip
