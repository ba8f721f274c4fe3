"""validate-setup's fix names the role a member's audit role should trust."""

from __future__ import annotations

import pytest

from driftwarden.cli.validate_setup import _role_of


@pytest.mark.parametrize(
    ("caller", "role"),
    [
        ("arn:aws:sts::123456789012:assumed-role/Deployer/alice",
         "arn:aws:iam::123456789012:role/Deployer"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/Audit/ci",
         "arn:aws-us-gov:iam::123456789012:role/Audit"),
        ("arn:aws:iam::123456789012:user/alice", None),  # a user: member-role.yaml trusts roles
    ],
)  # fmt: skip
def test_the_role_behind_a_session_is_what_the_audit_role_should_trust(
    caller: str, role: str | None
) -> None:
    assert _role_of(caller) == role
