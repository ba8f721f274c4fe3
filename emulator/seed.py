"""Seeding helpers: an organization with fixed member account ids, the audit role in each member,
stacks of the supported resource types, and out-of-band changes (drift) made on purpose.

Everything goes through boto3 against the emulator, as a person or a pipeline would, acting in
each member account through an assumed role.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3

MANAGEMENT_ACCOUNT = "123456789012"  # moto's account for credentials that assumed nothing
MEMBER_ACCOUNT_IDS = ("111111111111", "222222222222", "333333333333", "444444444444",
                      "555555555555", "666666666666", "777777777777", "888888888888")  # fmt: skip
AUDIT_ROLE_NAME = "DriftwardenAudit"
ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_EXTERNAL_ID = "driftwarden-demo-external-id"

# Read access drift detection needs on top of the CloudFormation drift actions (see
# member-role.yaml for the deployable version).
AUDIT_ACTIONS = [
    "cloudformation:DescribeStacks",
    "cloudformation:ListStacks",
    "cloudformation:ListStackResources",
    "cloudformation:DescribeStackResource*",
    "cloudformation:DetectStackDrift",
    "cloudformation:DetectStackResourceDrift",
    "cloudformation:DescribeStackDriftDetectionStatus",
    "cloudformation:GetTemplate",
]


@dataclass(frozen=True)
class MemberAccount:
    name: str
    account_id: str

    @property
    def audit_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{AUDIT_ROLE_NAME}"


@dataclass
class SeededOrganization:
    management_account: str
    members: list[MemberAccount]
    external_id: str
    organization_id: str
    stacks: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (acct, region)


def member_session(
    account_id: str, region: str, role_name: str = ACCESS_ROLE_NAME
) -> boto3.Session:
    """A session acting in `account_id` through `role_name` (what an admin would use)."""
    sts = boto3.client("sts", region_name=region)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@contextmanager
def _fixed_account_ids(ids: Sequence[str]) -> Iterator[None]:
    remaining = list(ids)
    with mock.patch(
        "moto.organizations.utils.make_random_account_id", side_effect=lambda: remaining.pop(0)
    ):
        yield


def seed_organization(
    member_count: int = 3,
    *,
    external_id: str = DEFAULT_EXTERNAL_ID,
    trusted_principal: str | None = None,
    tags: dict[str, dict[str, str]] | None = None,
) -> SeededOrganization:
    """An organization whose members have fixed ids, each with the audit role.

    The audit role trusts `trusted_principal` (default: the management account root) and only
    with `external_id` (the emulator enforces that condition: emulator/trust.py).
    `tags` maps a member's name to the account tags it gets.
    """
    if not 1 <= member_count <= len(MEMBER_ACCOUNT_IDS):
        raise ValueError(f"member_count must be 1..{len(MEMBER_ACCOUNT_IDS)}")
    organizations = boto3.client("organizations", region_name="us-east-1")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    members = []
    with _fixed_account_ids(MEMBER_ACCOUNT_IDS[:member_count]):
        for number in range(member_count):
            name = f"member-{number + 1}"
            status = organizations.create_account(
                AccountName=name,
                Email=f"{name}@example.com",
                Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).get(name, {}).items()],
            )["CreateAccountStatus"]
            members.append(MemberAccount(name, status["AccountId"]))
    principal = trusted_principal or f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"
    for member in members:
        create_audit_role(member.account_id, principal, external_id)
    return SeededOrganization(MANAGEMENT_ACCOUNT, members, external_id, organization["Id"])


def create_audit_role(account_id: str, trusted_principal: str, external_id: str) -> None:
    iam = member_session(account_id, "us-east-1").client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": trusted_principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    iam.create_role(RoleName=AUDIT_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": AUDIT_ACTIONS, "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName=AUDIT_ROLE_NAME, PolicyName="drift-detection", PolicyDocument=json.dumps(policy)
    )


# --- stacks --------------------------------------------------------------------------------------

_RESOURCES: dict[str, dict[str, Any]] = {
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
    "Parameter": {
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Name": {"Fn::Sub": "/${AWS::StackName}/mode"},
            "Type": "String",
            "Value": "blue",
        },
    },
    "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 14}},
    "Bucket": {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"},
            "Tags": [{"Key": "team", "Value": "platform"}],
        },
    },
    "Table": {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PROVISIONED",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
        },
    },
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "alerts"}},
    "Role": {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "MaxSessionDuration": 3600,
        },
    },
    "Function": {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.13",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
            "Timeout": 10,
            "MemorySize": 256,
            "Environment": {"Variables": {"MODE": "blue"}},
        },
    },
    "Network": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
}
SUPPORTED_LOGICAL_IDS = ("Queue", "Parameter", "LogGroup", "Bucket", "Table", "Topic", "Role",
                         "Function")  # fmt: skip


def stack_template(logical_ids: Sequence[str] | None = None) -> str:
    """A template with the sample resources named (default: all, one per supported type, plus a
    VPC that drift detection does not check). The Function needs the Role."""
    chosen = list(logical_ids or _RESOURCES)
    if "Function" in chosen and "Role" not in chosen:
        chosen.append("Role")
    return json.dumps({"Resources": {lid: _RESOURCES[lid] for lid in chosen}})


def deploy_stack(
    session: boto3.Session,
    region: str,
    name: str,
    logical_ids: Sequence[str] | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    cloudformation = session.client("cloudformation", region_name=region)
    return str(
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=stack_template(logical_ids),
            Capabilities=["CAPABILITY_IAM"],
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )["StackId"]
    )


def deploy_nested_stack(
    session: boto3.Session,
    region: str,
    parent: str,
    logical_id: str,
    logical_ids: Sequence[str] | None = None,
) -> str:
    """A nested stack of `parent`, named as AWS names them (<parent>-<LogicalId>-<suffix>)."""
    from emulator.nested import link_nested_stack

    name = f"{parent}-{logical_id}-{zlib.crc32(f'{parent}/{logical_id}'.encode()):08X}"
    stack_id = deploy_stack(session, region, name, logical_ids)
    account_id = stack_id.split(":")[4]
    link_nested_stack(account_id, region, name, parent)
    return name


# --- drift on purpose ----------------------------------------------------------------------------


def physical_id(session: boto3.Session, region: str, stack: str, logical_id: str) -> str:
    cloudformation = session.client("cloudformation", region_name=region)
    resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(resource["StackResourceDetail"]["PhysicalResourceId"])


def make_drift(session: boto3.Session, region: str, stack: str, logical_id: str) -> dict[str, str]:
    """Change one sample resource out of band; returns {property path: new value}."""
    target = physical_id(session, region, stack, logical_id)
    client = session.client
    if logical_id == "Queue":
        client("sqs", region_name=region).set_queue_attributes(
            QueueUrl=target, Attributes={"VisibilityTimeout": "120"}
        )
        return {"/VisibilityTimeout": "120"}
    if logical_id == "Parameter":
        client("ssm", region_name=region).put_parameter(
            Name=target, Value="green", Type="String", Overwrite=True
        )
        return {"/Value": "green"}
    if logical_id == "LogGroup":
        client("logs", region_name=region).put_retention_policy(
            logGroupName=target, retentionInDays=30
        )
        return {"/RetentionInDays": "30"}
    if logical_id == "Bucket":
        client("s3", region_name=region).put_bucket_versioning(
            Bucket=target, VersioningConfiguration={"Status": "Suspended"}
        )
        return {"/VersioningConfiguration/Status": "Suspended"}
    if logical_id == "Table":
        client("dynamodb", region_name=region).update_table(
            TableName=target,
            ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5},
        )
        return {"/ProvisionedThroughput/ReadCapacityUnits": "10"}
    if logical_id == "Topic":
        topics = client("sns", region_name=region)
        topics.set_topic_attributes(
            TopicArn=target, AttributeName="DisplayName", AttributeValue="pager"
        )
        return {"/DisplayName": "pager"}
    if logical_id == "Role":
        client("iam").update_role(RoleName=target, MaxSessionDuration=7200)
        return {"/MaxSessionDuration": "7200"}
    if logical_id == "Function":
        client("lambda", region_name=region).update_function_configuration(
            FunctionName=target, Timeout=60
        )
        return {"/Timeout": "60"}
    raise ValueError(f"no out-of-band change defined for {logical_id!r}")


def delete_resource(session: boto3.Session, region: str, stack: str, logical_id: str) -> None:
    """Delete one sample resource behind CloudFormation's back."""
    target = physical_id(session, region, stack, logical_id)
    client = session.client
    deleters: dict[str, Callable[[], Any]] = {
        "Queue": lambda: client("sqs", region_name=region).delete_queue(QueueUrl=target),
        "Parameter": lambda: client("ssm", region_name=region).delete_parameter(Name=target),
        "LogGroup": lambda: client("logs", region_name=region).delete_log_group(
            logGroupName=target
        ),
        "Bucket": lambda: client("s3", region_name=region).delete_bucket(Bucket=target),
        "Table": lambda: client("dynamodb", region_name=region).delete_table(TableName=target),
        "Topic": lambda: client("sns", region_name=region).delete_topic(TopicArn=target),
        "Function": lambda: client("lambda", region_name=region).delete_function(
            FunctionName=target
        ),
    }
    if logical_id not in deleters:
        raise ValueError(f"no out-of-band delete defined for {logical_id!r}")
    deleters[logical_id]()
