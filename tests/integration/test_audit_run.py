"""A target's audit end to end: results in the table, findings in their log group, EMF
metrics, and events on drift transitions only."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest

from driftwarden.audit_run import TargetOutcome, audit_and_record
from driftwarden.budget import BudgetSettings
from driftwarden.engine import DriftEngine, EngineSettings, audit_client_manager, role_sessions
from driftwarden.findings import EVENT_DETAIL_TYPE, EVENT_SOURCE, FindingsPublisher
from driftwarden.models import StackState
from driftwarden.store import ResultStore
from driftwarden.targets import Target
from emulator import drift
from emulator.faults import FaultInjector
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    deploy_stack,
    make_drift,
    member_session,
    physical_id,
    seed_organization,
)
from emulator.tables import create_table_from_template

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
HOME = "us-east-1"  # where the service itself runs: table, log group, bus
LOG_GROUP = "/driftwarden/test/findings"
BUS = "driftwarden-test"


class Service:
    """The service's own resources in its home account, plus a queue that sees its events."""

    def __init__(self, organization: SeededOrganization) -> None:
        dynamodb = boto3.client("dynamodb", region_name=HOME)
        create_table_from_template(dynamodb, "driftwarden-test")
        self.logs = boto3.client("logs", region_name=HOME)
        self.logs.create_log_group(logGroupName=LOG_GROUP)
        events = boto3.client("events", region_name=HOME)
        events.create_event_bus(Name=BUS)
        self.sqs = boto3.client("sqs", region_name=HOME)
        self.queue = self.sqs.create_queue(QueueName="drift-events")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(
            Name="drift-changes", EventBusName=BUS,
            EventPattern=json.dumps({"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE]}),
        )  # fmt: skip
        events.put_targets(
            Rule="drift-changes", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}]
        )
        self.store = ResultStore("driftwarden-test", dynamodb)
        self.metrics = io.StringIO()
        self.publisher = FindingsPublisher(
            self.logs, events, log_group=LOG_GROUP, event_bus=BUS,
            metrics_namespace="DriftwardenTest", metrics_stream=self.metrics,
        )  # fmt: skip
        sessions = role_sessions(
            audit_client_manager(region=HOME), AUDIT_ROLE_NAME, organization.external_id
        )
        self.engine = DriftEngine(
            sessions, EngineSettings(first_poll_seconds=0.05, budget=BudgetSettings(burst=20))
        )
        self.target = Target(account_id=organization.members[0].account_id, region=REGION)

    def audit(self, run_id: str) -> TargetOutcome:
        self.store.start_run(run_id, target_count=1, trigger="test")
        return audit_and_record(self.engine, self.store, self.publisher, self.target, run_id=run_id)

    def events(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        received = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
        for message in messages.get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return received

    def findings(self) -> list[dict[str, Any]]:
        found = self.logs.filter_log_events(logGroupName=LOG_GROUP)["events"]
        return [json.loads(event["message"]) for event in found]


@pytest.fixture
def organization(aws_emulator: FaultInjector) -> SeededOrganization:
    drift.SETTINGS.detection_seconds = 0.05
    organization = seed_organization(member_count=1)
    admin = member_session(organization.members[0].account_id, REGION)
    deploy_stack(admin, REGION, "orders", ["Queue", "Parameter"])
    deploy_stack(admin, REGION, "billing", ["Topic"])
    make_drift(admin, REGION, "orders", "Queue")
    make_drift(admin, REGION, "orders", "Parameter")
    return organization


def test_a_drifted_stack_is_stored_logged_measured_and_announced_once(
    organization: SeededOrganization,
) -> None:
    service = Service(organization)
    account = organization.members[0].account_id

    first = service.audit("run-1")

    # Stored, with the run completed
    stored = service.store.latest(account, REGION, "orders")
    assert stored is not None
    assert stored.result.state is StackState.DRIFTED
    assert first.run["status"] == "COMPLETED"
    # One structured line per finding, in the findings group
    findings = sorted(service.findings(), key=lambda f: f["logical_resource_id"])
    assert [(f["logical_resource_id"], f["resource_type"], f["property_path"], f["expected"],
             f["actual"], f["difference_type"]) for f in findings] == [
        ("Parameter", "AWS::SSM::Parameter", "/Value", "blue", "green", "NOT_EQUAL"),
        ("Queue", "AWS::SQS::Queue", "/VisibilityTimeout", "60", "120", "NOT_EQUAL"),
    ]  # fmt: skip
    where = {(f["account_id"], f["region"], f["stack_name"], f["service"], f["level"])
             for f in findings}  # fmt: skip
    assert where == {(account, REGION, "orders", "driftwarden-findings", "INFO")}
    # EMF metrics per account and region
    document = json.loads(service.metrics.getvalue().splitlines()[0])
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["AccountId", "Region", "service"]]
    assert (document["AccountId"], document["Region"]) == (account, REGION)
    assert (document["DriftedStacks"], document["InSyncStacks"], document["CheckFailures"]) == (
        [1], [1], [0]
    )  # fmt: skip
    assert len(document["DetectionSeconds"]) == 2
    # One event, for the new drift
    [event] = service.events()
    assert event["detail-type"] == EVENT_DETAIL_TYPE
    assert (event["detail"]["transition"], event["detail"]["stack_name"]) == ("NEW", "orders")

    # When nothing changed, a second run publishes no event (but still logs its findings)
    second = service.audit("run-2")
    assert second.events_published == 0
    assert service.events() == []
    assert second.findings_logged == 2

    # When the drift is fixed, the third run announces the resolution
    admin = member_session(account, REGION)
    queue = physical_id(admin, REGION, "orders", "Queue")
    admin.client("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "60"})
    admin.client("ssm").put_parameter(
        Name=physical_id(admin, REGION, "orders", "Parameter"), Value="blue", Type="String",
        Overwrite=True,
    )  # fmt: skip
    service.audit("run-3")
    [resolved] = service.events()
    assert resolved["detail"]["transition"] == "RESOLVED"
    latest = service.store.latest(account, REGION, "orders")
    assert latest is not None
    assert latest.drift_since is None
