"""DynamoDB tables created from template.yaml's own definitions, so tests and the demo use the
schema that is deployed (keys, GSIs, TTL), not a copy that could drift from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, keeping intrinsic functions (!Ref, !Sub...) as plain values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def table_properties(logical_id: str, template: Path = TEMPLATE) -> dict[str, Any]:
    document = yaml.load(template.read_text(), Loader=_TemplateLoader)  # noqa: S506 - safe loader
    resource = document["Resources"][logical_id]
    if resource["Type"] != "AWS::DynamoDB::Table":
        raise ValueError(f"{logical_id} is a {resource['Type']}, not a DynamoDB table")
    return dict(resource["Properties"])


def create_table_from_template(
    dynamodb: Any, table_name: str, logical_id: str = "DriftTable", template: Path = TEMPLATE
) -> str:
    """Create `table_name` with the template's key schema, indexes, billing and TTL."""
    properties = table_properties(logical_id, template)
    request = {
        key: properties[key]
        for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
        if key in properties
    }
    if "SSESpecification" in properties:
        request["SSESpecification"] = {"Enabled": properties["SSESpecification"]["SSEEnabled"]}
    dynamodb.create_table(TableName=table_name, **request)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    return table_name
