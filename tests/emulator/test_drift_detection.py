"""The emulator's drift detection, driven by plain boto3 through an assumed audit role."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import drift
from emulator.faults import FaultInjector, FaultKind, FaultRule
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SUPPORTED_LOGICAL_IDS,
    SeededOrganization,
    delete_resource,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from tests.helpers import FakeClock

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def organization(aws_emulator: FaultInjector) -> SeededOrganization:
    return seed_organization(member_count=2)


@pytest.fixture
def member(organization: SeededOrganization) -> str:
    return organization.members[0].account_id


@pytest.fixture
def admin(member: str) -> boto3.Session:
    """The member account's admin, who deploys stacks and makes out-of-band changes."""
    return member_session(member, REGION)


@pytest.fixture
def audit(organization: SeededOrganization, member: str) -> Any:
    """CloudFormation client of the audit role, assumed with the ExternalId."""
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{AUDIT_ROLE_NAME}",
        RoleSessionName="audit",
        ExternalId=organization.external_id,
    )["Credentials"]
    return boto3.client(
        "cloudformation",
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=NO_RETRIES,
    )


def detect(audit: Any, stack: str) -> dict[str, Any]:
    detection_id = audit.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]
    return dict(audit.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id))


def drifts_by_id(audit: Any, stack: str, **filters: Any) -> dict[str, dict[str, Any]]:
    response = audit.describe_stack_resource_drifts(StackName=stack, **filters)
    return {d["LogicalResourceId"]: d for d in response["StackResourceDrifts"]}


def test_a_fresh_stack_is_in_sync(admin: boto3.Session, audit: Any, member: str) -> None:
    stack_id = deploy_stack(admin, REGION, "app")
    assert f":{member}:" in stack_id
    assert audit.describe_stacks(StackName="app")["Stacks"][0]["DriftInformation"] == {
        "StackDriftStatus": "NOT_CHECKED"
    }

    status = detect(audit, "app")

    assert status["DetectionStatus"] == "DETECTION_COMPLETE"
    assert status["StackDriftStatus"] == "IN_SYNC"
    assert status["DriftedStackResourceCount"] == 0
    drifts = drifts_by_id(audit, "app")
    assert {lid: d["StackResourceDriftStatus"] for lid, d in drifts.items()} == {
        **dict.fromkeys(SUPPORTED_LOGICAL_IDS, "IN_SYNC"),
        "Network": "NOT_CHECKED",
    }
    stack = audit.describe_stacks(StackName="app")["Stacks"][0]
    assert stack["DriftInformation"]["StackDriftStatus"] == "IN_SYNC"
    assert "LastCheckTimestamp" in stack["DriftInformation"]


@pytest.mark.parametrize("logical_id", SUPPORTED_LOGICAL_IDS)
def test_an_out_of_band_change_is_reported_as_a_property_difference(
    admin: boto3.Session, audit: Any, logical_id: str
) -> None:
    deploy_stack(admin, REGION, "app")
    changed = make_drift(admin, REGION, "app", logical_id)

    status = detect(audit, "app")

    assert status["StackDriftStatus"] == "DRIFTED"
    assert status["DriftedStackResourceCount"] == 1
    drifted = drifts_by_id(audit, "app")[logical_id]
    assert drifted["StackResourceDriftStatus"] == "MODIFIED"
    assert [
        (d["PropertyPath"], d["ActualValue"], d["DifferenceType"])
        for d in drifted["PropertyDifferences"]
    ] == [(path, value, "NOT_EQUAL") for path, value in changed.items()]
    expected = json.loads(drifted["ExpectedProperties"])
    actual = json.loads(drifted["ActualProperties"])
    assert expected != actual


def test_added_and_removed_nested_properties(admin: boto3.Session, audit: Any) -> None:
    deploy_stack(admin, REGION, "app", ["Function", "Bucket"])
    function = admin.client("cloudformation", region_name=REGION).describe_stack_resource(
        StackName="app", LogicalResourceId="Function"
    )["StackResourceDetail"]["PhysicalResourceId"]
    admin.client("lambda", region_name=REGION).update_function_configuration(
        FunctionName=function, Environment={"Variables": {"DEBUG": "1"}}
    )

    differences = drifts_by_id(audit, "app")  # nothing known before a detection
    assert differences == {}
    detect(audit, "app")
    found = drifts_by_id(audit, "app")["Function"]["PropertyDifferences"]

    assert sorted((d["PropertyPath"], d["DifferenceType"]) for d in found) == [
        ("/Environment/Variables/DEBUG", "ADD"),
        ("/Environment/Variables/MODE", "REMOVE"),
    ]


def test_a_deleted_resource_is_deleted(admin: boto3.Session, audit: Any) -> None:
    deploy_stack(admin, REGION, "app", ["Queue", "Topic"])
    delete_resource(admin, REGION, "app", "Queue")

    assert detect(audit, "app")["StackDriftStatus"] == "DRIFTED"
    drifts = drifts_by_id(audit, "app")
    assert drifts["Queue"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["Topic"]["StackResourceDriftStatus"] == "IN_SYNC"


def test_an_unsupported_type_is_not_checked(admin: boto3.Session, audit: Any) -> None:
    deploy_stack(admin, REGION, "net", ["Network"])
    status = detect(audit, "net")
    assert status["StackDriftStatus"] == "IN_SYNC"
    network = drifts_by_id(audit, "net")["Network"]
    assert network["StackResourceDriftStatus"] == "NOT_CHECKED"
    assert network["PropertyDifferences"] == []


def test_status_filters_and_pagination(admin: boto3.Session, audit: Any) -> None:
    deploy_stack(admin, REGION, "app")
    for logical_id in ("Queue", "Topic", "Role"):
        make_drift(admin, REGION, "app", logical_id)
    detect(audit, "app")

    modified = drifts_by_id(audit, "app", StackResourceDriftStatusFilters=["MODIFIED"])
    assert set(modified) == {"Queue", "Topic", "Role"}

    pages, token = [], None
    while True:
        params: dict[str, Any] = {"StackName": "app", "MaxResults": 4}
        if token:
            params["NextToken"] = token
        page = audit.describe_stack_resource_drifts(**params)
        pages.append([d["LogicalResourceId"] for d in page["StackResourceDrifts"]])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [4, 4, 1]
    assert len({lid for page in pages for lid in page}) == 9


def test_detection_is_asynchronous_and_a_concurrent_one_is_refused(
    admin: boto3.Session, audit: Any
) -> None:
    clock = FakeClock()
    drift.SETTINGS.clock = clock
    drift.SETTINGS.detection_seconds = 5.0
    deploy_stack(admin, REGION, "app", ["Queue"])
    make_drift(admin, REGION, "app", "Queue")

    detection_id = audit.detect_stack_drift(StackName="app")["StackDriftDetectionId"]
    running = audit.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
    assert running["DetectionStatus"] == "DETECTION_IN_PROGRESS"
    assert "StackDriftStatus" not in running

    with pytest.raises(ClientError) as refused:
        audit.detect_stack_drift(StackName="app")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "Drift detection is already in progress for stack" in str(refused.value)

    clock.advance(5.0)
    done = audit.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
    assert done["DetectionStatus"] == "DETECTION_COMPLETE"
    assert done["StackDriftStatus"] == "DRIFTED"
    assert audit.detect_stack_drift(StackName="app")["StackDriftDetectionId"] != detection_id


def test_failed_detection_keeps_partial_results_and_says_why(
    admin: boto3.Session, audit: Any
) -> None:
    drift.SETTINGS.failing_resource_types = {"AWS::SNS::Topic": "Internal Failure"}
    deploy_stack(admin, REGION, "app", ["Queue", "Topic"])
    make_drift(admin, REGION, "app", "Queue")

    status = detect(audit, "app")

    assert status["DetectionStatus"] == "DETECTION_FAILED"
    assert status["StackDriftStatus"] == "DRIFTED"
    assert status["DetectionStatusReason"] == (
        "Failed to detect drift on resource [Topic]: Internal Failure"
    )
    drifts = drifts_by_id(audit, "app")
    assert drifts["Queue"]["StackResourceDriftStatus"] == "MODIFIED"
    assert drifts["Topic"]["StackResourceDriftStatus"] == "NOT_CHECKED"


def test_single_resource_detection_and_resource_drift_information(
    admin: boto3.Session, audit: Any
) -> None:
    deploy_stack(admin, REGION, "app", ["Queue", "Topic"])
    make_drift(admin, REGION, "app", "Topic")

    drifted = audit.detect_stack_resource_drift(StackName="app", LogicalResourceId="Topic")
    assert drifted["StackResourceDrift"]["StackResourceDriftStatus"] == "MODIFIED"

    summaries = audit.list_stack_resources(StackName="app")["StackResourceSummaries"]
    statuses = {s["LogicalResourceId"]: s["DriftInformation"] for s in summaries}
    assert statuses["Topic"]["StackResourceDriftStatus"] == "MODIFIED"
    assert statuses["Queue"] == {"StackResourceDriftStatus": "NOT_CHECKED"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda cf: cf.detect_stack_drift(StackName="missing"), "does not exist"),
        (
            lambda cf: cf.describe_stack_drift_detection_status(
                StackDriftDetectionId="00000000-0000-0000-0000-000000000000"
            ),
            "does not exist",
        ),
        (
            lambda cf: cf.detect_stack_resource_drift(StackName="app", LogicalResourceId="Nope"),
            "does not exist",
        ),
    ],
)
def test_unknown_stacks_detections_and_resources_are_validation_errors(
    admin: boto3.Session, audit: Any, call: Any, message: str
) -> None:
    deploy_stack(admin, REGION, "app", ["Queue"])
    with pytest.raises(ClientError) as raised:
        call(audit)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert message in raised.value.response["Error"]["Message"]


def test_other_accounts_do_not_see_the_stack(
    admin: boto3.Session, organization: SeededOrganization
) -> None:
    deploy_stack(admin, REGION, "app", ["Queue"])
    other = member_session(organization.members[1].account_id, REGION)
    names = [s["StackName"] for s in other.client("cloudformation").describe_stacks()["Stacks"]]
    assert names == []


def test_injected_faults_reach_the_client_as_aws_error_codes(
    aws_emulator: FaultInjector, admin: boto3.Session, audit: Any, member: str
) -> None:
    deploy_stack(admin, REGION, "app", ["Queue"])
    aws_emulator.add(
        FaultRule(FaultKind.THROTTLE, service="cloudformation", operation="DetectStackDrift")
    )
    with pytest.raises(ClientError) as throttled:
        audit.detect_stack_drift(StackName="app")
    assert throttled.value.response["Error"]["Code"] == "Throttling"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    aws_emulator.clear()
    aws_emulator.add(FaultRule(FaultKind.SERVER_ERROR, service="cloudformation", remaining=1))
    with pytest.raises(ClientError) as unavailable:
        audit.list_stacks()
    assert unavailable.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=member)
    )
    with pytest.raises(ClientError) as denied:
        boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/{AUDIT_ROLE_NAME}", RoleSessionName="audit"
        )
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cloudformation_rate_limit_is_per_account_and_region(
    aws_emulator: FaultInjector, admin: boto3.Session, audit: Any, member: str
) -> None:
    clock = FakeClock()
    aws_emulator._clock = clock
    aws_emulator.set_rate_limit("cloudformation", rate=2.0, burst=2.0)

    outcomes = []
    for _ in range(3):
        try:
            audit.list_stacks()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ok", "Throttling"]

    # Another region of the same account has its own bucket.
    admin.client("cloudformation", region_name="us-west-2", config=NO_RETRIES).list_stacks()
    clock.advance(0.5)  # one token back
    audit.list_stacks()

    stats = aws_emulator.rate_limit_stats("cloudformation")
    assert stats[(member, REGION)] == {"allowed": 3, "throttled": 1}
    assert stats[(member, "us-west-2")] == {"allowed": 1, "throttled": 0}
