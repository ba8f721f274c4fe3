"""Apply the template properties moto's CloudFormation does not apply when it creates or updates
a stack, so a freshly deployed stack is IN_SYNC in the emulator as it is on AWS."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import clean_json
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends


def _s3_bucket(stack: Stack, physical_id: str, properties: dict[str, Any]) -> None:
    backend = s3_backends[stack.account_id]["aws"]
    bucket = backend.buckets.get(physical_id)
    if bucket is None:
        return
    status = (properties.get("VersioningConfiguration") or {}).get("Status")
    if status:
        bucket.versioning_status = status
    if properties.get("Tags"):
        backend.tagger.tag_resource(bucket.arn, properties["Tags"])


def _dynamodb_table(stack: Stack, physical_id: str, properties: dict[str, Any]) -> None:
    table = dynamodb_backends[stack.account_id][stack.region_name].tables.get(physical_id)
    ttl = properties.get("TimeToLiveSpecification")
    if table is None or not ttl:
        return
    enabled = str(ttl.get("Enabled")).lower() == "true"
    table.ttl = {
        "TimeToLiveStatus": "ENABLED" if enabled else "DISABLED",
        "AttributeName": ttl.get("AttributeName", ""),
    }


_FIXUPS: dict[str, Callable[[Stack, str, dict[str, Any]], None]] = {
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::DynamoDB::Table": _dynamodb_table,
}


def apply_unapplied_properties(stack: Stack) -> None:
    for logical_id, resource_json in stack.template_dict.get("Resources", {}).items():
        fixup = _FIXUPS.get(resource_json.get("Type", ""))
        resource = stack.resource_map[logical_id]
        physical_id = getattr(resource, "physical_resource_id", None)
        if fixup is None or not physical_id:
            continue
        properties = clean_json(resource_json.get("Properties", {}), stack.resource_map)
        fixup(stack, physical_id, properties)


def _after(method: Callable[..., Stack]) -> Callable[..., Stack]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Stack:
        stack = method(*args, **kwargs)
        apply_unapplied_properties(stack)
        return stack

    return wrapper


def install() -> None:
    CloudFormationBackend.create_stack = _after(CloudFormationBackend.create_stack)  # type: ignore[method-assign]
    CloudFormationBackend.update_stack = _after(CloudFormationBackend.update_stack)  # type: ignore[method-assign]
