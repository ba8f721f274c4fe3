"""Lambda: function look-ups and listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from awskit.errors import ResourceNotFoundError
from awskit.services.base import ServiceFacade

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import FunctionConfigurationTypeDef


class LambdaService(ServiceFacade):
    service_name = "lambda"

    def get_function_configuration(self, function_name: str) -> FunctionConfigurationTypeDef | None:
        """The function's configuration, or None when there is no such function."""
        try:
            with self._translated("GetFunctionConfiguration", function_name):
                response = self.client.get_function_configuration(FunctionName=function_name)
        except ResourceNotFoundError:
            return None
        response.pop("ResponseMetadata", None)
        configuration: FunctionConfigurationTypeDef = response
        return configuration

    def function_exists(self, function_name: str) -> bool:
        return self.get_function_configuration(function_name) is not None

    def list_functions(self) -> Iterator[FunctionConfigurationTypeDef]:
        return self._paginate("list_functions", "Functions")
