"""Target selection from AWS Organizations (in the emulator) and stack filters."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from driftwarden.targets import (
    Target,
    TargetSelection,
    build_targets,
    organization_accounts,
    stack_selected,
)
from emulator.faults import FaultInjector
from emulator.seed import seed_organization

pytestmark = pytest.mark.integration


@pytest.fixture
def organizations(aws_emulator: FaultInjector) -> Any:
    seed_organization(
        member_count=4,
        tags={"member-1": {"env": "prod"}, "member-2": {"env": "dev"}, "member-3": {"env": "prod"}},
    )
    return boto3.client("organizations", region_name="us-east-1")


def select(**fields: Any) -> TargetSelection:
    return TargetSelection(regions=("us-east-1",), **fields)


def test_every_active_account_by_default(organizations: Any) -> None:
    accounts = organization_accounts(organizations, select())
    assert {"111111111111", "222222222222", "333333333333", "444444444444"} <= set(accounts)
    assert accounts == sorted(accounts)


def test_filter_by_account_ids_and_tags(organizations: Any) -> None:
    assert organization_accounts(organizations, select(account_tags={"env": "prod"})) == [
        "111111111111",
        "333333333333",
    ]
    chosen = select(account_ids=("222222222222", "333333333333"), account_tags={"env": "prod"})
    assert organization_accounts(organizations, chosen) == ["333333333333"]


def test_accounts_under_an_ou_include_nested_ous(organizations: Any) -> None:
    root = organizations.list_roots()["Roots"][0]["Id"]
    workloads = organizations.create_organizational_unit(ParentId=root, Name="workloads")
    payments = organizations.create_organizational_unit(
        ParentId=workloads["OrganizationalUnit"]["Id"], Name="payments"
    )
    for account, unit in (("111111111111", workloads), ("222222222222", payments)):
        organizations.move_account(
            AccountId=account,
            SourceParentId=root,
            DestinationParentId=unit["OrganizationalUnit"]["Id"],
        )

    chosen = select(organizational_unit_ids=(workloads["OrganizationalUnit"]["Id"],))

    assert organization_accounts(organizations, chosen) == ["111111111111", "222222222222"]


def test_suspended_accounts_are_left_out(organizations: Any) -> None:
    organizations.close_account(AccountId="444444444444")
    assert "444444444444" not in organization_accounts(organizations, select())


def test_targets_cross_accounts_with_regions() -> None:
    selection = TargetSelection(regions=("us-east-1", "eu-west-1"))
    assert build_targets(["222222222222", "111111111111", "111111111111"], selection) == [
        Target(account_id="111111111111", region="us-east-1"),
        Target(account_id="111111111111", region="eu-west-1"),
        Target(account_id="222222222222", region="us-east-1"),
        Target(account_id="222222222222", region="eu-west-1"),
    ]


@pytest.mark.parametrize(
    ("name", "tags", "globs", "required", "selected"),
    [
        ("payments-prod", {}, ("*",), {}, True),
        ("payments-prod", {}, ("payments-*",), {}, True),
        ("orders-prod", {}, ("payments-*", "search-*"), {}, False),
        ("payments-prod", {"team": "pay"}, ("*",), {"team": "pay"}, True),
        ("payments-prod", {"team": "ops"}, ("*",), {"team": "pay"}, False),
        ("payments-prod", {}, ("*",), {"team": "pay"}, False),
    ],
)
def test_stack_filters(
    name: str, tags: dict[str, str], globs: tuple[str, ...], required: dict[str, str],
    selected: bool,
) -> None:  # fmt: skip
    selection = select(stack_name_globs=globs, stack_tags=required)
    assert stack_selected(name, tags, selection) is selected


@pytest.mark.parametrize(
    "fields",
    [{"regions": ()}, {"regions": ("us-east-1",), "account_ids": ("1234",)}, {"regions": 5}],
)
def test_bad_selections_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TargetSelection(**fields)
