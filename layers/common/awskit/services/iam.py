"""IAM: role look-ups and the policies attached to a role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from awskit.errors import ResourceNotFoundError
from awskit.services.base import ServiceFacade

if TYPE_CHECKING:
    from mypy_boto3_iam.type_defs import AttachedPolicyTypeDef, RoleTypeDef


class IamService(ServiceFacade):
    service_name = "iam"

    def get_role(self, role_name: str) -> RoleTypeDef | None:
        """The role, or None when there is no such role (IAM's NoSuchEntity)."""
        try:
            with self._translated("GetRole", role_name):
                role: RoleTypeDef = self.client.get_role(RoleName=role_name)["Role"]
        except ResourceNotFoundError:
            return None
        return role

    def role_exists(self, role_name: str) -> bool:
        return self.get_role(role_name) is not None

    def list_roles(self, path_prefix: str | None = None) -> Iterator[RoleTypeDef]:
        params = {"PathPrefix": path_prefix} if path_prefix else {}
        return self._paginate("list_roles", "Roles", **params)

    def list_attached_role_policies(self, role_name: str) -> Iterator[AttachedPolicyTypeDef]:
        return self._paginate("list_attached_role_policies", "AttachedPolicies", RoleName=role_name)

    def list_role_policy_names(self, role_name: str) -> Iterator[str]:
        """Names of the role's inline policies."""
        return self._paginate("list_role_policies", "PolicyNames", RoleName=role_name)
