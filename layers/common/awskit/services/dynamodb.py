"""DynamoDB: table existence, description and listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from awskit.errors import ResourceNotFoundError
from awskit.services.base import ServiceFacade

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TableDescriptionTypeDef


class DynamoDBService(ServiceFacade):
    service_name = "dynamodb"

    def describe_table(self, table_name: str) -> TableDescriptionTypeDef | None:
        """The table's description, or None when there is no such table."""
        try:
            with self._translated("DescribeTable", table_name):
                table: TableDescriptionTypeDef = self.client.describe_table(TableName=table_name)[
                    "Table"
                ]
        except ResourceNotFoundError:
            return None
        return table

    def table_exists(self, table_name: str) -> bool:
        return self.describe_table(table_name) is not None

    def list_tables(self) -> Iterator[str]:
        return self._paginate("list_tables", "TableNames")
