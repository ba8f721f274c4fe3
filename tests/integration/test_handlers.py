"""The schedule, worker and stack-event handlers, driven by the events/ files, in process,
against the emulator."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from moto.cloudformation.models import cloudformation_backends

from awskit.errors import InvalidInputError
from driftwarden.handlers import schedule, stack_events, worker
from driftwarden.settings import clear_settings
from emulator import drift
from emulator.faults import FaultInjector, FaultKind, FaultRule
from emulator.lambda_runtime import LambdaContext
from emulator.seed import deploy_stack, member_session
from tests.integration.conftest import HOME, REGION, Service, load_event

pytestmark = pytest.mark.integration


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
    with pytest.raises(InvalidInputError, match="stack-id"):
        stack_events.handler({**load_event("stack_status_change.json"), "detail": {}},
                             LambdaContext())  # fmt: skip


def test_a_finished_drift_detection_is_read_without_starting_another(service: Service) -> None:
    # Given someone ran drift detection on the stack themselves
    account = service.organization.members[0].account_id
    admin = member_session(account, REGION)
    cloudformation = admin.client("cloudformation")
    detection = cloudformation.detect_stack_drift(StackName="orders")["StackDriftDetectionId"]
    while (
        cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)[
            "DetectionStatus"
        ]
        == "DETECTION_IN_PROGRESS"
    ):
        time.sleep(0.05)
    detections_before = len(drift_store(account).detections)
    event = {**load_event("drift_detection_status_change.json"), "account": account}

    # When CloudFormation's "Drift Detection Status Change" arrives and the check runs
    assert stack_events.handler(event, LambdaContext())["queued"] is True
    [record] = service.drain()
    assert json.loads(record["body"])["read_existing"] is True
    assert worker.handler({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}

    # Then its result is stored, and no detection was started to get it
    assert len(drift_store(account).detections) == detections_before
    key = {"PK": {"S": f"STACK#{account}#{REGION}#orders"}, "SK": {"S": "LATEST"}}
    table = boto3.client("dynamodb", region_name=HOME)
    latest = table.get_item(TableName="driftwarden-test", Key=key)["Item"]
    assert latest["state"]["S"] == "DRIFTED"


def drift_store(account: str) -> Any:
    return drift.store_for(cloudformation_backends[account][REGION])


def test_a_big_target_is_split_into_batches_and_its_run_completes_once_all_are_done(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWARDEN_STACKS_PER_MESSAGE", "2")
    clear_settings()
    account = service.organization.members[0].account_id
    admin = member_session(account, REGION)
    for number in range(4):
        deploy_stack(admin, REGION, f"extra-{number}", ["Queue"])  # 5 stacks with "orders"
    schedule.handler(load_event("schedule.json"), LambdaContext())

    batches = []
    while records := service.drain():
        batches.append([json.loads(r["body"]) for r in records])
        assert worker.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}

    # The first item checked 2 stacks and queued the other 3 as batches of at most 2
    requeued = [b for batch in batches[1:] for b in batch]
    assert sorted(len(b["stack_names"]) for b in requeued) == [1, 2]
    table = boto3.client("dynamodb", region_name=HOME)
    run_key = {":pk": {"S": f"RUN#schedule-{load_event('schedule.json')['id']}"}}
    run = table.query(TableName="driftwarden-test", KeyConditionExpression="PK = :pk",
                      ExpressionAttributeValues=run_key)["Items"]  # fmt: skip
    by_key = {item["SK"]["S"]: item for item in run}
    assert by_key["META"]["status"]["S"] == "COMPLETED"
    target = by_key[f"TARGET#{account}#{REGION}"]
    assert (target["status"]["S"], target["stacks"]["N"]) == ("DONE", "5")
    assert target["pending"]["N"] == "0"
