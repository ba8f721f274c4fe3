"""The ExternalId condition of a role's trust policy, enforced on AssumeRole as AWS does.

moto accepts any AssumeRole. AWS refuses one whose role trusts its caller only with
`"Condition": {"StringEquals": {"sts:ExternalId": ...}}` when the request carries no ExternalId
or another one: that refusal is what makes the ExternalId a guard against confused deputies,
and what the tests of the worker, `scan` and `validate-setup` must meet. Only that condition is
evaluated; principals and other conditions are not (moto's IAM evaluation is not used).
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import iam_backends


def external_ids_required(account_id: str, role_arn: str) -> set[str] | None:
    """The ExternalIds the role's trust policy accepts; None when it asks for none (or the role
    is unknown: moto answers that itself)."""
    role_name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam_backends[account_id]["global"].get_role(role_name)
    except Exception:  # moto's NoSuchEntity: leave the answer to moto
        return None
    document: Any = json.loads(role.assume_role_policy_document)
    statements = document.get("Statement", [])
    accepted: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        condition = statement.get("Condition", {}).get("StringEquals", {})
        value = condition.get("sts:ExternalId")
        if value is None:
            return None  # an Allow without the condition: no ExternalId needed
        accepted |= {value} if isinstance(value, str) else set(value)
    return accepted or None


def denied_message(role_arn: str, external_id: str | None, account_id: str) -> str | None:
    """AWS's AccessDenied message when the ExternalId does not satisfy the trust policy."""
    accepted = external_ids_required(account_id, role_arn)
    if accepted is None or external_id in accepted:
        return None
    return f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
