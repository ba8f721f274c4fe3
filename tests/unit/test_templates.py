"""What the templates promise about security, pinned: IAM auth on the API, the worker may
assume only the audit role, the audit role trusts only the worker and only with the ExternalId."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from emulator.tables import TEMPLATE, _TemplateLoader

MEMBER_ROLE = Path(TEMPLATE).with_name("member-role.yaml")


def load(path: Path) -> dict[str, Any]:
    return dict(yaml.load(path.read_text(), Loader=_TemplateLoader))  # noqa: S506 - safe loader


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function["Properties"]["Policies"] for s in policy["Statement"]]


def test_the_api_requires_aws_iam_auth() -> None:
    api = load(TEMPLATE)["Resources"]["DriftApi"]
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"


def test_the_worker_may_assume_only_the_audit_role_name_and_only_with_the_external_id() -> None:
    worker = load(TEMPLATE)["Resources"]["WorkerFunction"]
    assume = [s for s in statements(worker) if "sts:AssumeRole" in s["Action"]]
    assert [s["Resource"] for s in assume] == [
        {"Sub": "arn:${AWS::Partition}:iam::*:role/${AuditRoleName}"}
    ]
    assert [s["Condition"] for s in assume] == [
        {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    ]


def test_no_function_gets_a_wildcard_action_or_a_wildcard_resource_beyond_organizations() -> None:
    resources = load(TEMPLATE)["Resources"]
    functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {"ScheduleFunction", "WorkerFunction", "StackEventsFunction",
                              "ApiFunction"}  # fmt: skip
    for name, function in functions.items():
        for statement in statements(function):
            actions = statement["Action"]
            assert all("*" not in action for action in actions), (name, actions)
            if statement["Resource"] == "*":
                assert all(a.startswith("organizations:List") for a in actions), (name, actions)


def test_the_audit_role_trusts_only_the_worker_with_the_external_id() -> None:
    role = load(MEMBER_ROLE)["Resources"]["AuditRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "WorkerRoleArn"}}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    actions = [a for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]
               for a in s["Action"]]  # fmt: skip
    read_only = ("Describe", "Get", "List", "Detect")
    assert all(a.split(":")[1].startswith(read_only) for a in actions), actions
