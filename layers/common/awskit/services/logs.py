"""CloudWatch Logs: log group existence, description and listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from awskit.services.base import ServiceFacade

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import LogGroupTypeDef


class LogsService(ServiceFacade):
    service_name = "logs"

    def describe_log_group(self, log_group_name: str) -> LogGroupTypeDef | None:
        """The log group with exactly this name, or None.

        DescribeLogGroups filters by PREFIX: "/app" also returns "/app-old". The seed took the
        first match; here the name must be equal, across every page.
        """
        for group in self.list_log_groups(prefix=log_group_name):
            if group.get("logGroupName") == log_group_name:
                return group
        return None

    def log_group_exists(self, log_group_name: str) -> bool:
        return self.describe_log_group(log_group_name) is not None

    def list_log_groups(self, prefix: str | None = None) -> Iterator[LogGroupTypeDef]:
        params = {"logGroupNamePrefix": prefix} if prefix else {}
        return self._paginate("describe_log_groups", "logGroups", **params)
