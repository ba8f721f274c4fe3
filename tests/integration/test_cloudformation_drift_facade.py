"""awskit's CloudFormation drift operations against the emulator, in a member account."""

from __future__ import annotations

import pytest

from awskit.clients import AWSClientManager
from awskit.errors import InvalidInputError
from awskit.services import CloudFormationService
from emulator import drift
from emulator.faults import FaultInjector
from emulator.seed import deploy_stack, make_drift, member_session, seed_organization
from tests.helpers import FakeClock

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture
def cloudformation(aws_emulator: FaultInjector) -> CloudFormationService:
    organization = seed_organization(member_count=1)
    member = organization.members[0]
    admin = member_session(member.account_id, REGION)
    deploy_stack(admin, REGION, "app", ["Queue", "Topic", "Network"])
    make_drift(admin, REGION, "app", "Queue")
    audit = AWSClientManager(region=REGION).for_role(
        member.audit_role_arn, external_id=organization.external_id
    )
    return CloudFormationService(audit)


def test_detection_status_keeps_detection_and_drift_status_apart(
    cloudformation: CloudFormationService,
) -> None:
    clock = FakeClock()
    drift.SETTINGS.clock = clock
    drift.SETTINGS.detection_seconds = 3.0

    detection_id = cloudformation.detect_stack_drift("app")
    running = cloudformation.describe_drift_detection_status(detection_id)
    assert running.in_progress
    assert running.drift_status is None

    clock.advance(3.0)
    done = cloudformation.describe_drift_detection_status(detection_id)
    assert not done.in_progress
    assert (done.detection_status, done.drift_status) == ("DETECTION_COMPLETE", "DRIFTED")
    assert done.drifted_resource_count == 1
    assert done.stack_id.split(":")[4] == "111111111111"


def test_resource_drifts_filter_and_single_resource_detection(
    cloudformation: CloudFormationService,
) -> None:
    cloudformation.detect_stack_drift("app")

    statuses = {
        d["LogicalResourceId"]: d["StackResourceDriftStatus"]
        for d in cloudformation.describe_stack_resource_drifts("app")
    }
    assert statuses == {"Queue": "MODIFIED", "Topic": "IN_SYNC", "Network": "NOT_CHECKED"}
    modified = list(cloudformation.describe_stack_resource_drifts("app", ["MODIFIED"]))
    assert [d["LogicalResourceId"] for d in modified] == ["Queue"]

    single = cloudformation.detect_stack_resource_drift("app", "Topic")
    assert single["StackResourceDriftStatus"] == "IN_SYNC"


def test_detect_on_a_missing_stack_is_a_validation_error(
    cloudformation: CloudFormationService,
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        cloudformation.detect_stack_drift("missing")
    assert raised.value.context.operation == "DetectStackDrift"
    assert raised.value.context.account_id == "111111111111"
