"""Audit targets: which accounts x regions to audit, and which of their stacks.

Accounts come from a configured list or from AWS Organizations (ListAccounts, or the accounts
under given OUs, recursively), filtered by account id and account tags. Only ACTIVE accounts are
audited: suspended ones cannot be entered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from awskit.services.base import paginate

_ACCOUNT_ID_LENGTH = 12


class Target(BaseModel):
    """One unit of audit work: an account-region, optionally limited to some stacks."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    region: str
    stack_names: tuple[str, ...] = ()


class TargetSelection(BaseModel):
    """What to audit. With no account_ids and no organizational_unit_ids from Organizations,
    every active account of the organization is selected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    regions: tuple[str, ...] = Field(min_length=1)
    account_ids: tuple[str, ...] = ()
    organizational_unit_ids: tuple[str, ...] = ()
    account_tags: Mapping[str, str] = Field(default_factory=dict)
    stack_name_globs: tuple[str, ...] = ("*",)
    stack_tags: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("account_ids")
    @classmethod
    def _twelve_digits(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in values if not (v.isdigit() and len(v) == _ACCOUNT_ID_LENGTH)]
        if bad:
            raise ValueError(f"account ids are 12 digits: {bad}")
        return values


def _carries(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(key) == value for key, value in wanted.items())


def _accounts_under(organizations: Any, parent_id: str) -> Iterator[dict[str, Any]]:
    yield from paginate(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent_id)
    for unit in paginate(
        organizations, "list_organizational_units_for_parent", "OrganizationalUnits",
        ParentId=parent_id,
    ):  # fmt: skip
        yield from _accounts_under(organizations, unit["Id"])


def _has_tags(organizations: Any, account_id: str, wanted: Mapping[str, str]) -> bool:
    tags = {
        tag["Key"]: tag["Value"]
        for tag in paginate(organizations, "list_tags_for_resource", "Tags", ResourceId=account_id)
    }
    return _carries(tags, wanted)


def organization_accounts(organizations: Any, selection: TargetSelection) -> list[str]:
    """Active account ids of the organization that the selection names, sorted."""
    if selection.organizational_unit_ids:
        accounts = [
            account
            for unit in selection.organizational_unit_ids
            for account in _accounts_under(organizations, unit)
        ]
    else:
        accounts = list(paginate(organizations, "list_accounts", "Accounts"))
    chosen = {
        account["Id"]
        for account in accounts
        if account.get("Status", "ACTIVE") == "ACTIVE"
        and (not selection.account_ids or account["Id"] in selection.account_ids)
    }
    if selection.account_tags:
        chosen = {a for a in chosen if _has_tags(organizations, a, selection.account_tags)}
    return sorted(chosen)


def build_targets(account_ids: Sequence[str], selection: TargetSelection) -> list[Target]:
    """Accounts crossed with regions, in a stable order."""
    return [
        Target(account_id=account_id, region=region)
        for account_id in sorted(set(account_ids))
        for region in selection.regions
    ]


def stack_selected(name: str, tags: Mapping[str, str], selection: TargetSelection) -> bool:
    """True when a stack's name matches a glob and it carries every required tag."""
    return any(fnmatchcase(name, glob) for glob in selection.stack_name_globs) and _carries(
        tags, selection.stack_tags
    )
