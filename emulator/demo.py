"""`make demo`: start the emulator, seed an organization with drifted stacks, and audit it.

The service's own path, in process: the schedule handler plans a run and queues a work item
per account-region; the worker handler drains the queue, its drift engine assuming each
member's audit role with the ExternalId and detecting drift on every eligible stack at once
under the account's API budget; results go to the table (created from template.yaml), findings
to their log group, transitions to the event bus; then the API handler is asked what it found.
One member's role is denied, to show how a broken account is reported while the others are
audited.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from driftwarden.settings import clear_settings
from driftwarden.wiring import clear_wiring
from emulator.faults import FaultKind, FaultRule
from emulator.lambda_runtime import LambdaContext, api_gateway_event, receive_sqs_records
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    delete_resource,
    deploy_nested_stack,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from emulator.server import Emulator, EmulatorOptions, free_port
from emulator.tables import create_table_from_template

REGIONS = ("us-east-1", "eu-west-1")
HOME_REGION = REGIONS[0]  # where the service's own table, log group and bus live
TABLE = "driftwarden-demo"
FINDINGS_LOG_GROUP = "/driftwarden/demo/findings"
EVENT_BUS = "driftwarden-demo"
# (member index, region, stack, resources, out-of-band changes, deletions)
DEMO_STACKS: list[tuple[int, str, str, list[str] | None, list[str], list[str]]] = [
    (0, "us-east-1", "payments", None, ["Queue", "Function"], []),
    (0, "us-east-1", "network", ["Network"], [], []),
    (0, "eu-west-1", "orders", ["Queue", "Table", "Topic"], ["Table"], []),
    (1, "us-east-1", "search", ["LogGroup", "Bucket", "Parameter"], [], ["LogGroup"]),
    (1, "eu-west-1", "identity", ["Role", "Topic"], [], []),
    (2, "us-east-1", "billing", ["Queue"], ["Queue"], []),
]
# (member index, region, parent stack, logical id, resources, out-of-band changes)
DEMO_NESTED: list[tuple[int, str, str, str, list[str], list[str]]] = [
    (1, "eu-west-1", "identity", "Settings", ["Parameter"], ["Parameter"]),
]
DENIED_MEMBER = 2


def seed() -> SeededOrganization:
    organization = seed_organization(member_count=3)
    for member_index, region, stack, resources, changes, deletions in DEMO_STACKS:
        admin = member_session(organization.members[member_index].account_id, region)
        deploy_stack(admin, region, stack, resources, tags={"team": "demo"})
        for logical_id in changes:
            make_drift(admin, region, stack, logical_id)
        for logical_id in deletions:
            delete_resource(admin, region, stack, logical_id)
    for member_index, region, parent, logical_id, resources, changes in DEMO_NESTED:
        admin = member_session(organization.members[member_index].account_id, region)
        child = deploy_nested_stack(admin, region, parent, logical_id, resources)
        for changed in changes:
            make_drift(admin, region, child, changed)
    return organization


@dataclass
class DemoRun:
    run: dict[str, Any]
    stacks: list[dict[str, Any]]  # GET /stacks/{account}/{region}/{stack} answers
    work_items: int
    report_html: str  # GET /report


REPORT_PATH = Path("artifacts/demo-report.html")


def service_environment(organization: SeededOrganization, queue_url: str) -> dict[str, str]:
    return {
        "DRIFTWARDEN_TABLE_NAME": TABLE,
        "DRIFTWARDEN_QUEUE_URL": queue_url,
        "DRIFTWARDEN_REGIONS": ",".join(REGIONS),
        "DRIFTWARDEN_ACCOUNT_IDS": ",".join(m.account_id for m in organization.members),
        "DRIFTWARDEN_EXTERNAL_ID": organization.external_id,
        "DRIFTWARDEN_FINDINGS_LOG_GROUP": FINDINGS_LOG_GROUP,
        "DRIFTWARDEN_EVENT_BUS_NAME": EVENT_BUS,
        "POWERTOOLS_SERVICE_NAME": "driftwarden",
        "POWERTOOLS_METRICS_NAMESPACE": "DriftwardenDemo",
        "DRIFTWARDEN_METRICS_NAMESPACE": "DriftwardenDemo",
        # The demo prints a summary; the handlers' own INFO lines and EMF would drown it.
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
    }


def create_service_resources() -> str:
    """The table (from template.yaml), queue, findings log group and bus; returns the queue URL."""
    create_table_from_template(boto3.client("dynamodb", region_name=HOME_REGION), TABLE)
    boto3.client("logs", region_name=HOME_REGION).create_log_group(logGroupName=FINDINGS_LOG_GROUP)
    boto3.client("events", region_name=HOME_REGION).create_event_bus(Name=EVENT_BUS)
    sqs = boto3.client("sqs", region_name=HOME_REGION)
    return str(sqs.create_queue(QueueName="driftwarden-demo-work")["QueueUrl"])


def drain_queue(queue_url: str) -> list[dict[str, Any]]:
    return receive_sqs_records(boto3.client("sqs", region_name=HOME_REGION), queue_url)


def api_get(path: str, query: dict[str, str] | None = None) -> Any:
    """GET through the API handler, as API Gateway would call it; the JSON body."""
    return json.loads(api_get_text(path, query))


def api_get_text(path: str, query: dict[str, str] | None = None) -> str:
    from driftwarden.handlers import api

    response = api.handler(api_gateway_event("GET", path, query), LambdaContext())
    if response["statusCode"] != 200:
        raise RuntimeError(f"GET {path}: {response['statusCode']} {response['body']}")
    return str(response["body"])


def audit(organization: SeededOrganization) -> DemoRun:
    """The service's path: the schedule handler queues the targets, the worker drains the
    queue in-process, and the API handler reads what was found."""
    queue_url = create_service_resources()
    os.environ.update(service_environment(organization, queue_url))
    # Handler modules build Powertools' logger and metrics when imported: after the environment.
    from driftwarden.handlers import schedule, worker

    clear_settings()
    clear_wiring()
    scheduled_event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                       "source": "aws.events", "account": "123456789012",
                       "time": "2026-11-21T06:00:00Z", "region": HOME_REGION, "resources": [],
                       "detail": {}}  # fmt: skip
    run_id = schedule.handler(scheduled_event, LambdaContext())["run_id"]
    work_items = 0
    while records := drain_queue(queue_url):
        work_items += len(records)
        worker.handler({"Records": records}, LambdaContext())
    stacks = []
    for member in organization.members:
        page = api_get("/stacks", {"account": member.account_id, "limit": "100"})
        for item in page["items"]:
            stacks.append(api_get(
                f"/stacks/{item['account_id']}/{item['region']}/{item['stack_name']}"
            ))  # fmt: skip
    return DemoRun(run=api_get(f"/runs/{run_id}"), stacks=stacks, work_items=work_items,
                   report_html=api_get_text("/report"))  # fmt: skip


def render(demo: DemoRun) -> str:
    lines = ["", "driftwarden demo: drift audit of 3 member accounts x 2 regions", "",
             f"run {demo.run['run_id']}: {demo.run['status']}, {demo.run['targets_done']}/"
             f"{demo.run['target_count']} targets, {demo.work_items} work items", ""]  # fmt: skip
    lines.append(
        f"{'account':<14}{'region':<12}{'stacks':>7}{'drifted':>9}{'in sync':>9}{'partial':>9}"
        "  note"
    )
    targets = sorted(
        demo.run["targets"], key=lambda t: (t["account_id"], REGIONS.index(t["region"]))
    )
    for target in targets:
        error = target.get("error_detail")
        if error:
            lines.append(f"{target['account_id']:<14}{target['region']:<12}{'-':>7}{'-':>9}"
                         f"{'-':>9}{'-':>9}  {error['category']}: {error['message']}")  # fmt: skip
            continue
        results = [s["result"] for s in demo.stacks
                   if (s["result"]["account_id"], s["result"]["region"]) ==
                   (target["account_id"], target["region"])]  # fmt: skip
        unchecked = sum(r["coverage"]["not_checked"] + r["coverage"]["unknown"]
                        + r["coverage"]["unsupported"] + r["coverage"]["failed"]
                        for r in results)  # fmt: skip
        nested = sum(len(r["nested_stacks"]) for r in results)
        notes = [f"{unchecked} resource(s) not checked" if unchecked else "",
                 f"{nested} nested stack(s) rolled up" if nested else ""]  # fmt: skip
        lines.append(
            f"{target['account_id']:<14}{target['region']:<12}{target['stacks']:>7}"
            f"{target['DRIFTED']:>9}{target['IN_SYNC']:>9}"
            f"{target['PARTIAL'] + target['NOT_CHECKED']:>9}  " + "; ".join(n for n in notes if n)
        )
    lines += ["", "Drifted resources:"]
    for check in demo.stacks:
        result = check["result"]
        for resource in result["resources"]:
            if resource["status"] not in ("MODIFIED", "DELETED"):
                continue
            where = f"{result['account_id']}/{result['region']}/{result['stack_name']}"
            if resource["stack_name"] != result["stack_name"]:
                where += f" > {resource['stack_name']}"
            lines.append(f"  {where}: {resource['logical_resource_id']} "
                         f"({resource['resource_type']}) {resource['status']}")  # fmt: skip
            for difference in resource["differences"]:
                lines.append(
                    f"      {difference['property_path']}: "
                    f"expected {difference['expected_value'] or '-'}, "
                    f"actual {difference['actual_value'] or '-'} ({difference['difference_type']})"
                )
        if check["transition"]:
            lines.append(f"    -> {result['stack_name']}: {check['transition']} "
                         f"(drifted since {check['drift_since']}; event published)")  # fmt: skip
    failed: dict[str, list[dict[str, Any]]] = {}
    for target in targets:
        if target.get("error_detail"):
            failed.setdefault(target["account_id"], []).append(target)
    for account_id, account_targets in failed.items():
        regions = ", ".join(t["region"] for t in account_targets)
        error = account_targets[0]["error_detail"]
        lines += ["", f"Account {account_id} was not audited ({regions}):",
                  f"  [{error['category']}] {error['message']}", "  Suggested fixes:"]  # fmt: skip
        lines += [f"    - {suggestion}" for suggestion in error["suggestions"]]
    lines += ["", f"Findings: log group {FINDINGS_LOG_GROUP}; drift events: bus {EVENT_BUS}; "
              f"results: table {TABLE}."]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    emulator = Emulator(
        EmulatorOptions(port=free_port(), detection_seconds=0.5, cloudformation_rate=20.0)
    ).start()
    # Fake credentials for the emulator; nothing here can reach AWS.
    os.environ.update(
        AWS_ENDPOINT_URL=emulator.endpoint_url,
        AWS_ACCESS_KEY_ID="AKIADEMO000000000000",
        AWS_SECRET_ACCESS_KEY="demo-secret-key",  # noqa: S106
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_EC2_METADATA_DISABLED="true",
    )
    try:
        organization = seed()
        denied = organization.members[DENIED_MEMBER].account_id
        emulator.injector.add(
            FaultRule(
                FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=denied
            )
        )
        print(f"emulator on {emulator.endpoint_url}; seeded organization "  # noqa: T201
              f"{organization.organization_id}; {AUDIT_ROLE_NAME} denied in {denied}")  # fmt: skip
        started = time.monotonic()
        run = audit(organization)
        print(render(run))  # noqa: T201
        print(f"\naudit took {time.monotonic() - started:.1f}s")  # noqa: T201
        REPORT_PATH.parent.mkdir(exist_ok=True)
        REPORT_PATH.write_text(run.report_html, encoding="utf-8")
        print(f"drift report (GET /report): {REPORT_PATH.resolve()}")  # noqa: T201
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
