"""Live-state readers: a resource's current configuration, in CloudFormation property shape.

Each reader looks the resource up by physical id in moto's backend for the stack's account and
region, and returns the properties it knows how to read, or None when the resource is gone.
Types without a reader are NOT_CHECKED by the drift extension, as AWS does for unsupported types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.ssm.models import ssm_backends

Reader = Callable[[str, str, str], dict[str, Any] | None]


def _tag_list(tags: dict[str, str] | list[dict[str, str]] | None) -> list[dict[str, str]]:
    if not tags:
        return []
    if isinstance(tags, dict):
        return [{"Key": key, "Value": value} for key, value in tags.items()]
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tags]


def read_sqs_queue(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    queue = sqs_backends[account][region].queues.get(physical_id.rstrip("/").rsplit("/", 1)[-1])
    if queue is None:
        return None
    # moto sets these queue attributes dynamically, so they are read by name.
    attributes = {
        "VisibilityTimeout": "visibility_timeout",
        "MessageRetentionPeriod": "message_retention_period",
        "DelaySeconds": "delay_seconds",
        "MaximumMessageSize": "maximum_message_size",
        "ReceiveMessageWaitTimeSeconds": "receive_message_wait_time_seconds",
    }
    properties = {key: getattr(queue, name) for key, name in attributes.items()}
    return {
        "QueueName": queue.name,
        **properties,
        "FifoQueue": queue.fifo_queue,
        "Tags": _tag_list(queue.tags),
    }


def read_ssm_parameter(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    parameter = ssm_backends[account][region].get_parameter(physical_id)
    if parameter is None:
        return None
    properties = {
        "Name": parameter.name,
        "Type": parameter.parameter_type,
        "Value": parameter.value,
        "Tier": parameter.tier,
    }
    if parameter.description:
        properties["Description"] = parameter.description
    if parameter.allowed_pattern:
        properties["AllowedPattern"] = parameter.allowed_pattern
    return properties


def read_log_group(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    group = logs_backends[account][region].groups.get(physical_id)
    if group is None:
        return None
    properties: dict[str, Any] = {"LogGroupName": group.name}
    if group.retention_in_days is not None:
        properties["RetentionInDays"] = group.retention_in_days
    if group.kms_key_id:
        properties["KmsKeyId"] = group.kms_key_id
    return properties


def read_s3_bucket(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    backend = s3_backends[account]["aws"]
    bucket = backend.buckets.get(physical_id)
    if bucket is None:
        return None
    properties: dict[str, Any] = {
        "BucketName": bucket.name,
        "Tags": _tag_list(backend.tagger.list_tags_for_resource(bucket.arn)["Tags"]),
    }
    if bucket.versioning_status:
        properties["VersioningConfiguration"] = {"Status": bucket.versioning_status}
    return properties


def read_dynamodb_table(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    table = dynamodb_backends[account][region].tables.get(physical_id)
    if table is None:
        return None
    properties: dict[str, Any] = {
        "TableName": table.name,
        "BillingMode": table.billing_mode,
        "AttributeDefinitions": table.attr,
        "KeySchema": table.schema,
        "TimeToLiveSpecification": {
            "AttributeName": table.ttl.get("AttributeName", ""),
            "Enabled": table.ttl.get("TimeToLiveStatus") == "ENABLED",
        },
        "Tags": _tag_list(table.tags),
    }
    if table.billing_mode == "PROVISIONED":
        properties["ProvisionedThroughput"] = {
            "ReadCapacityUnits": table.throughput["ReadCapacityUnits"],
            "WriteCapacityUnits": table.throughput["WriteCapacityUnits"],
        }
    return properties


def read_sns_topic(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    backend = sns_backends[account][region]
    topic = backend.topics.get(physical_id)
    if topic is None:
        return None
    properties: dict[str, Any] = {
        "TopicName": topic.name,
        "DisplayName": topic.display_name,
        "FifoTopic": topic.fifo_topic,
        "Tags": _tag_list(backend.list_tags_for_resource(topic.arn)),
    }
    if topic.kms_master_key_id:
        properties["KmsMasterKeyId"] = topic.kms_master_key_id
    return properties


def read_iam_role(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    backend = iam_backends[account]["aws"]
    role = next((r for r in backend.roles.values() if r.name == physical_id), None)
    if role is None:
        return None
    return {
        "RoleName": role.name,
        "Path": role.path,
        "Description": role.description or "",
        "MaxSessionDuration": role.max_session_duration,
        "AssumeRolePolicyDocument": json.loads(role.assume_role_policy_document),
        "Tags": _tag_list(role.tags),
    }


def read_lambda_function(account: str, region: str, physical_id: str) -> dict[str, Any] | None:
    functions = lambda_backends[account][region]._lambdas._functions
    if physical_id not in functions:
        return None
    function = functions[physical_id]["latest"]
    return {
        "FunctionName": function.function_name,
        "Handler": function.handler,
        "Runtime": function.run_time,
        "Role": function.role,
        "Timeout": function.timeout,
        "MemorySize": function.memory_size,
        "Description": function.description,
        "Environment": {"Variables": dict(function.environment_vars or {})},
    }


READERS: dict[str, Reader] = {
    "AWS::SQS::Queue": read_sqs_queue,
    "AWS::SSM::Parameter": read_ssm_parameter,
    "AWS::Logs::LogGroup": read_log_group,
    "AWS::S3::Bucket": read_s3_bucket,
    "AWS::DynamoDB::Table": read_dynamodb_table,
    "AWS::SNS::Topic": read_sns_topic,
    "AWS::IAM::Role": read_iam_role,
    "AWS::Lambda::Function": read_lambda_function,
}
