"""`make demo`: start the emulator, seed an organization with drifted stacks, and audit it.

The audit is the real one: the drift engine assumes each member's audit role with the
ExternalId, detects drift on every eligible stack of each account-region at once under the
account's API budget, stores the results in the results table (created from template.yaml),
writes the findings to their log group and publishes drift transitions. One member's role is
denied, to show how a broken account is reported while the others are audited.

(Issue 5 puts the scheduled, queued service in front of this; the engine underneath is the same.)
"""

from __future__ import annotations

import io
import os
import time
import uuid

import boto3

from driftwarden.audit_run import TargetOutcome, audit_and_record
from driftwarden.engine import DriftEngine, EngineSettings, audit_client_manager, role_sessions
from driftwarden.findings import FindingsPublisher
from driftwarden.models import StackState
from driftwarden.store import ResultStore
from driftwarden.targets import Target
from emulator.faults import FaultKind, FaultRule
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


class DemoService:
    """The service's own resources (table, findings log group, event bus) and its engine."""

    def __init__(self, organization: SeededOrganization) -> None:
        create_table_from_template(boto3.client("dynamodb", region_name=HOME_REGION), TABLE)
        logs = boto3.client("logs", region_name=HOME_REGION)
        logs.create_log_group(logGroupName=FINDINGS_LOG_GROUP)
        events = boto3.client("events", region_name=HOME_REGION)
        events.create_event_bus(Name=EVENT_BUS)
        self.store = ResultStore(TABLE, boto3.client("dynamodb", region_name=HOME_REGION))
        self.metrics = io.StringIO()  # EMF documents; a Lambda prints them to its log
        self.publisher = FindingsPublisher(
            logs, events, log_group=FINDINGS_LOG_GROUP, event_bus=EVENT_BUS,
            metrics_namespace="DriftwardenDemo", metrics_stream=self.metrics,
        )  # fmt: skip
        sessions = role_sessions(
            audit_client_manager(region=HOME_REGION), AUDIT_ROLE_NAME, organization.external_id
        )
        self.engine = DriftEngine(sessions, EngineSettings(first_poll_seconds=0.25))
        self.targets = [
            Target(account_id=member.account_id, region=region)
            for member in organization.members
            for region in REGIONS
        ]

    def audit(self) -> list[TargetOutcome]:
        run_id = uuid.uuid4().hex
        self.store.start_run(run_id, target_count=len(self.targets), trigger="demo")
        return [
            audit_and_record(self.engine, self.store, self.publisher, target, run_id=run_id)
            for target in self.targets
        ]


def audit(organization: SeededOrganization) -> list[TargetOutcome]:
    return DemoService(organization).audit()


def render(outcomes: list[TargetOutcome]) -> str:
    lines = ["", "driftwarden demo: drift audit of 3 member accounts x 2 regions", ""]
    lines.append(
        f"{'account':<14}{'region':<12}{'stacks':>7}{'drifted':>9}{'in sync':>9}{'partial':>9}"
        "  note"
    )
    for outcome in outcomes:
        target = outcome.result
        if target.error:
            note = f"{target.error.category}: {target.error.message}"
            lines.append(f"{target.account_id:<14}{target.region:<12}{'-':>7}{'-':>9}{'-':>9}"
                         f"{'-':>9}  {note}")  # fmt: skip
            continue
        unchecked = sum(s.coverage.unchecked for s in target.stacks)
        nested = sum(len(s.nested_stacks) for s in target.stacks)
        notes = [f"{unchecked} resource(s) not checked" if unchecked else "",
                 f"{nested} nested stack(s) rolled up" if nested else ""]  # fmt: skip
        lines.append(
            f"{target.account_id:<14}{target.region:<12}{len(target.stacks):>7}"
            f"{target.count(StackState.DRIFTED):>9}{target.count(StackState.IN_SYNC):>9}"
            f"{target.count(StackState.PARTIAL) + target.count(StackState.NOT_CHECKED):>9}  "
            + "; ".join(n for n in notes if n)
        )
    lines += ["", "Drifted resources:"]
    for outcome in outcomes:
        for stack, recorded in outcome.recorded:
            for resource in stack.drifted_resources:
                where = f"{stack.account_id}/{stack.region}/{stack.stack_name}"
                if resource.stack_name != stack.stack_name:
                    where += f" > {resource.stack_name}"
                lines.append(f"  {where}: {resource.logical_resource_id} "
                             f"({resource.resource_type}) {resource.status.value}")  # fmt: skip
                for difference in resource.differences:
                    lines.append(
                        f"      {difference.property_path}: "
                        f"expected {difference.expected_value or '-'}, "
                        f"actual {difference.actual_value or '-'} ({difference.difference_type})"
                    )
            if recorded.transition:
                lines.append(f"    -> {stack.stack_name}: {recorded.transition.value} "
                             "(event published)")  # fmt: skip
    failed: dict[str, list[TargetOutcome]] = {}
    for outcome in outcomes:
        if outcome.result.error:
            failed.setdefault(outcome.result.account_id, []).append(outcome)
    for account_id, targets in failed.items():
        regions = ", ".join(t.result.region for t in targets)
        error = targets[0].result.error
        assert error is not None
        lines += ["", f"Account {account_id} was not audited ({regions}):",
                  f"  [{error.category}] {error.message}", "  Suggested fixes:"]  # fmt: skip
        lines += [f"    - {suggestion}" for suggestion in error.suggestions]
    findings = sum(o.findings_logged for o in outcomes)
    events = sum(o.events_published for o in outcomes)
    lines += ["", f"{findings} finding line(s) written to {FINDINGS_LOG_GROUP}; {events} drift "
              f"event(s) published to {EVENT_BUS}; results in table {TABLE}."]  # fmt: skip
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
        outcomes = audit(organization)
        print(render(outcomes))  # noqa: T201
        print(f"\naudit took {time.monotonic() - started:.1f}s")  # noqa: T201
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
