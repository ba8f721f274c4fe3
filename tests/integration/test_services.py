"""Service facades against the emulator: existence by error code, exact matches, pagination."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest

from awskit.clients import AWSClientManager, role_arn_for
from awskit.errors import AccessDeniedError, ErrorCategory, InvalidInputError
from awskit.services import ServiceFactory
from emulator.faults import FaultInjector, FaultKind, FaultRule

pytestmark = pytest.mark.integration

TEMPLATE = json.dumps(
    {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "orders"}},
            "Topic": {"Type": "AWS::SNS::Topic"},
        }
    }
)


@pytest.fixture
def services(aws_emulator: FaultInjector) -> ServiceFactory:
    return ServiceFactory(AWSClientManager(region="us-east-1"))


class CallCounter:
    """Counts the API calls a client makes, by operation name."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)


# --- CloudFormation ------------------------------------------------------------------------------


def test_stack_existence_and_lookup(services: ServiceFactory) -> None:
    cloudformation = services.cloudformation()
    cloudformation.client.create_stack(StackName="orders", TemplateBody=TEMPLATE)

    assert cloudformation.stack_exists("orders")
    assert not cloudformation.stack_exists("missing")
    stack = cloudformation.get_stack("orders")
    assert stack is not None
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_stack_resources_and_events(services: ServiceFactory) -> None:
    cloudformation = services.cloudformation()
    cloudformation.client.create_stack(StackName="orders", TemplateBody=TEMPLATE)

    resources = {r["LogicalResourceId"]: r for r in cloudformation.get_stack_resources("orders")}
    assert set(resources) == {"Queue", "Topic"}
    assert resources["Queue"]["ResourceType"] == "AWS::SQS::Queue"

    events = list(cloudformation.get_stack_events("orders"))
    assert len(events) >= 2
    assert [e["EventId"] for e in cloudformation.get_stack_events("orders", limit=1)] == [
        events[0]["EventId"]
    ]


def test_list_stacks_filters_by_status_across_pages(services: ServiceFactory) -> None:
    cloudformation = services.cloudformation()
    for number in range(120):
        cloudformation.client.create_stack(StackName=f"stack-{number:03}", TemplateBody=TEMPLATE)
    cloudformation.client.delete_stack(StackName="stack-000")

    complete = [s["StackName"] for s in cloudformation.list_stacks(["CREATE_COMPLETE"])]
    assert len(complete) == 119
    assert "stack-000" not in complete
    assert len(list(cloudformation.describe_stacks())) == 119


def test_validate_template_and_its_errors(services: ServiceFactory) -> None:
    cloudformation = services.cloudformation()
    assert "Parameters" in cloudformation.validate_template(template_body=TEMPLATE)
    with pytest.raises(InvalidInputError):
        cloudformation.validate_template()


def test_update_stack_needs_exactly_one_template_source(services: ServiceFactory) -> None:
    cloudformation = services.cloudformation()
    cloudformation.client.create_stack(StackName="orders", TemplateBody=TEMPLATE)
    with pytest.raises(InvalidInputError):
        cloudformation.update_stack("orders")
    updated = json.loads(TEMPLATE)
    updated["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    stack_id = cloudformation.update_stack("orders", template_body=json.dumps(updated))
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:")


def test_errors_carry_account_region_and_resource(aws_emulator: FaultInjector) -> None:
    aws_emulator.add(FaultRule(FaultKind.ACCESS_DENIED, service="cloudformation"))
    member = AWSClientManager(region="eu-west-1").for_role(role_arn_for("222222222222", "Audit"))
    cloudformation = ServiceFactory(member).cloudformation()

    with pytest.raises(AccessDeniedError) as raised:
        list(cloudformation.get_stack_resources("payments"))

    context = raised.value.context
    assert raised.value.category is ErrorCategory.PERMISSION
    assert (context.account_id, context.region, context.service) == (
        "222222222222",
        "eu-west-1",
        "cloudformation",
    )
    assert context.resource == "payments"
    assert context.operation == "list_stack_resources"


# --- DynamoDB ------------------------------------------------------------------------------------


def test_table_existence_and_listing(services: ServiceFactory) -> None:
    dynamodb = services.dynamodb()
    for number in range(105):
        dynamodb.client.create_table(
            TableName=f"table-{number:03}",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert dynamodb.table_exists("table-007")
    assert not dynamodb.table_exists("nope")
    assert dynamodb.describe_table("nope") is None
    assert len(list(dynamodb.list_tables())) == 105  # ListTables pages at 100


# --- S3 ------------------------------------------------------------------------------------------


def test_bucket_lookup_never_lists_all_buckets(services: ServiceFactory) -> None:
    s3 = services.s3()
    s3.client.create_bucket(
        Bucket="audit-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    counter = CallCounter(s3.client)

    bucket = s3.get_bucket("audit-eu")

    assert bucket is not None
    assert bucket.region == "eu-west-1"
    assert not s3.bucket_exists("no-such-bucket")
    assert "ListBuckets" not in counter.calls


def test_bucket_versioning_and_encryption(services: ServiceFactory) -> None:
    s3 = services.s3()
    s3.client.create_bucket(Bucket="audit")
    assert s3.get_bucket_versioning("audit") == "Disabled"
    s3.client.put_bucket_versioning(Bucket="audit", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning("audit") == "Enabled"

    s3.client.put_bucket_encryption(
        Bucket="audit",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    rules = s3.get_bucket_encryption("audit")
    assert rules is not None
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


# --- CloudWatch Logs -----------------------------------------------------------------------------


def test_log_group_lookup_is_an_exact_match(services: ServiceFactory) -> None:
    logs = services.logs()
    for name in ("/app-old", "/app", "/application"):
        logs.client.create_log_group(logGroupName=name)

    group = logs.describe_log_group("/app")
    assert group is not None
    assert group["logGroupName"] == "/app"
    assert not logs.log_group_exists("/ap")  # a prefix of three groups, equal to none


def test_log_group_lookup_reads_past_the_first_page(services: ServiceFactory) -> None:
    logs = services.logs()
    for number in range(60):  # DescribeLogGroups returns 50 a page
        logs.client.create_log_group(logGroupName=f"/svc/{number:02}")
    logs.client.create_log_group(logGroupName="/svc/zz-last")

    assert logs.log_group_exists("/svc/zz-last")
    assert len(list(logs.list_log_groups(prefix="/svc/"))) == 61


# --- Lambda and IAM ------------------------------------------------------------------------------


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_function_and_role_lookups(services: ServiceFactory) -> None:
    iam = services.iam()
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = iam.client.create_role(RoleName="fn-role", AssumeRolePolicyDocument=trust)["Role"]
    policy = iam.client.create_policy(
        PolicyName="ReadStacks",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "cloudformation:Describe*", "Resource": "*"}
                ],
            }
        ),
    )["Policy"]
    iam.client.attach_role_policy(RoleName="fn-role", PolicyArn=policy["Arn"])
    awslambda = services.awslambda()
    awslambda.client.create_function(
        FunctionName="worker",
        Runtime="python3.13",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": zipped_handler()},
        Timeout=30,
    )

    configuration = awslambda.get_function_configuration("worker")
    assert configuration is not None
    assert configuration["Timeout"] == 30
    assert awslambda.function_exists("worker")
    assert not awslambda.function_exists("nope")
    assert [f["FunctionName"] for f in awslambda.list_functions()] == ["worker"]

    assert iam.role_exists("fn-role")
    assert not iam.role_exists("nope")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies("fn-role")] == ["ReadStacks"]
    assert list(iam.list_role_policy_names("fn-role")) == []


def test_list_roles_reads_every_page(services: ServiceFactory) -> None:
    iam = services.iam()
    for number in range(105):  # ListRoles returns 100 a page
        iam.client.create_role(RoleName=f"role-{number:03}", AssumeRolePolicyDocument="{}")
    names = [role["RoleName"] for role in iam.list_roles()]
    assert len([name for name in names if name.startswith("role-")]) == 105


def test_a_facade_needs_a_client_or_a_manager() -> None:
    from awskit.services import S3Service

    with pytest.raises(TypeError):
        S3Service()
    client = boto3.client("s3", region_name="us-east-1")
    assert S3Service(client=client).region == "us-east-1"
