"""The emulator refuses AssumeRole as AWS does when the role's trust policy asks for an
ExternalId the request does not carry (moto alone accepts any)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.faults import FaultInjector
from emulator.seed import AUDIT_ROLE_NAME, SeededOrganization, member_session, seed_organization

pytestmark = pytest.mark.integration


@pytest.fixture
def organization(aws_emulator: FaultInjector) -> SeededOrganization:
    return seed_organization(member_count=1, external_id="the-right-one")


def assume(organization: SeededOrganization, external_id: str | None = None) -> str:
    role = f"arn:aws:iam::{organization.members[0].account_id}:role/{AUDIT_ROLE_NAME}"
    sts = boto3.client("sts", region_name="us-east-1")
    extra = {"ExternalId": external_id} if external_id else {}
    response = sts.assume_role(RoleArn=role, RoleSessionName="test", **extra)  # type: ignore[arg-type]
    return str(response["AssumedRoleUser"]["Arn"])


def test_the_right_external_id_assumes_the_role(organization: SeededOrganization) -> None:
    assert assume(organization, "the-right-one").endswith(f"{AUDIT_ROLE_NAME}/test")


@pytest.mark.parametrize("external_id", [None, "a-wrong-one"])
def test_no_or_a_wrong_external_id_is_access_denied(
    organization: SeededOrganization, external_id: str | None
) -> None:
    with pytest.raises(ClientError) as refused:
        assume(organization, external_id)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_role_without_the_condition_is_assumed_without_one(
    organization: SeededOrganization,
) -> None:
    # The seed's own admin role (OrganizationAccountAccessRole) asks for no ExternalId
    session = member_session(organization.members[0].account_id, "us-east-1")
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == organization.members[0].account_id
