"""`make demo`: start the emulator, seed an organization with drifted stacks, and audit it.

The audit goes through the real code path over HTTP: awskit's client manager assumes each
member's audit role with the ExternalId, starts drift detection on every eligible stack of a
target at once, polls, and reads the property differences. One member's role is denied, to show
how a broken account is reported while the others are audited.

(The scheduled, queued service and its drift engine build on this; this module is the local
preview of the main job.)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from awskit.clients import AWSClientManager
from awskit.errors import AwsKitError
from awskit.services import CloudFormationService
from emulator.faults import FaultKind, FaultRule
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    delete_resource,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from emulator.server import Emulator, EmulatorOptions, free_port

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.type_defs import StackResourceDriftTypeDef

REGIONS = ("us-east-1", "eu-west-1")
ELIGIBLE = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"]
# (member index, region, stack, resources, out-of-band changes, deletions)
DEMO_STACKS: list[tuple[int, str, str, list[str] | None, list[str], list[str]]] = [
    (0, "us-east-1", "payments", None, ["Queue", "Function"], []),
    (0, "us-east-1", "network", ["Network"], [], []),
    (0, "eu-west-1", "orders", ["Queue", "Table", "Topic"], ["Table"], []),
    (1, "us-east-1", "search", ["LogGroup", "Bucket", "Parameter"], [], ["LogGroup"]),
    (1, "eu-west-1", "identity", ["Role", "Topic"], [], []),
    (2, "us-east-1", "billing", ["Queue"], ["Queue"], []),
]
DENIED_MEMBER = 2


@dataclass
class StackResult:
    name: str
    drift_status: str
    drifted: list[StackResourceDriftTypeDef] = field(default_factory=list)
    not_checked: int = 0


@dataclass
class TargetResult:
    account_id: str
    region: str
    stacks: list[StackResult] = field(default_factory=list)
    error: AwsKitError | None = None


def seed() -> SeededOrganization:
    organization = seed_organization(member_count=3)
    for member_index, region, stack, resources, changes, deletions in DEMO_STACKS:
        admin = member_session(organization.members[member_index].account_id, region)
        deploy_stack(admin, region, stack, resources, tags={"team": "demo"})
        for logical_id in changes:
            make_drift(admin, region, stack, logical_id)
        for logical_id in deletions:
            delete_resource(admin, region, stack, logical_id)
    return organization


def audit_target(cloudformation: CloudFormationService, account_id: str) -> TargetResult:
    result = TargetResult(account_id, cloudformation.region)
    stacks = [s["StackName"] for s in cloudformation.list_stacks(ELIGIBLE)]
    # Detections run on AWS's side: start them all, then poll them together.
    running = {cloudformation.detect_stack_drift(name): name for name in stacks}
    finished: dict[str, str] = {}
    while running:
        time.sleep(0.2)
        for detection_id, name in list(running.items()):
            status = cloudformation.describe_drift_detection_status(detection_id)
            if not status.in_progress:
                finished[name] = status.drift_status or "UNKNOWN"
                del running[detection_id]
    for name in stacks:
        drifts = list(cloudformation.describe_stack_resource_drifts(name))
        result.stacks.append(
            StackResult(
                name=name,
                drift_status=finished[name],
                drifted=[
                    d for d in drifts if d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED")
                ],
                not_checked=sum(d["StackResourceDriftStatus"] == "NOT_CHECKED" for d in drifts),
            )
        )
    return result


def audit(organization: SeededOrganization) -> list[TargetResult]:
    # botocore's standard retries absorb the emulator's rate limit, call by call.
    source = AWSClientManager(region=REGIONS[0])
    results = []
    for member in organization.members:
        manager = source.for_role(
            member.audit_role_arn, external_id=organization.external_id, session_name="demo"
        )
        for region in REGIONS:
            try:
                cloudformation = CloudFormationService(manager, region)
                results.append(audit_target(cloudformation, member.account_id))
            except AwsKitError as error:
                results.append(TargetResult(member.account_id, region, error=error))
    return results


def render(results: list[TargetResult]) -> str:
    lines = ["", "driftwarden demo: drift audit of 3 member accounts x 2 regions", ""]
    lines.append(f"{'account':<14}{'region':<12}{'stacks':>7}{'drifted':>9}{'in sync':>9}  note")
    for target in results:
        if target.error:
            note = f"{target.error.category.value}: audit role could not be assumed"
            lines.append(
                f"{target.account_id:<14}{target.region:<12}{'-':>7}{'-':>9}{'-':>9}  {note}"
            )
            continue
        drifted = sum(s.drift_status == "DRIFTED" for s in target.stacks)
        unchecked = sum(s.not_checked for s in target.stacks)
        note = f"{unchecked} resource(s) not checked" if unchecked else ""
        lines.append(
            f"{target.account_id:<14}{target.region:<12}{len(target.stacks):>7}{drifted:>9}"
            f"{len(target.stacks) - drifted:>9}  {note}"
        )
    lines += ["", "Drifted resources:"]
    for target in results:
        for stack in target.stacks:
            for resource in stack.drifted:
                lines.append(
                    f"  {target.account_id}/{target.region}/{stack.name}: "
                    f"{resource['LogicalResourceId']} ({resource['ResourceType']}) "
                    f"{resource['StackResourceDriftStatus']}"
                )
                for difference in resource.get("PropertyDifferences", []):
                    lines.append(
                        f"      {difference['PropertyPath']}: "
                        f"expected {difference.get('ExpectedValue', '-')!s}, "
                        f"actual {difference.get('ActualValue', '-')!s} "
                        f"({difference['DifferenceType']})"
                    )
    failed: dict[str, list[TargetResult]] = {}
    for target in results:
        if target.error:
            failed.setdefault(target.account_id, []).append(target)
    for account_id, targets in failed.items():
        regions = ", ".join(target.region for target in targets)
        error = targets[0].error
        assert error is not None
        lines += ["", f"Account {account_id} was not audited ({regions}):"]
        lines += ["  " + line if line else "" for line in error.to_user_message().splitlines()]
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
        results = audit(organization)
        print(render(results))  # noqa: T201
        print(f"\naudit took {time.monotonic() - started:.1f}s")  # noqa: T201
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
