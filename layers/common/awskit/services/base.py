"""What every service facade shares: its client, error translation at the edge, pagination."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from awskit.errors import ErrorContext, client_error_code, error_from_sdk

if TYPE_CHECKING:
    from awskit.clients import AWSClientManager


class ServiceFacade:
    """A thin typed wrapper over one boto3 client. Pass a client, or a manager to build one."""

    service_name: ClassVar[str]

    def __init__(
        self,
        manager: AWSClientManager | None = None,
        region: str | None = None,
        *,
        client: Any | None = None,
    ) -> None:
        if client is None:
            if manager is None:
                raise TypeError(f"{type(self).__name__} needs a client or a client manager")
            client = manager.get_client(self.service_name, region)
        self.client = client
        self.region: str = region or client.meta.region_name
        self._account_id = (
            manager.assume_role_config.account_id
            if (manager is not None and manager.assume_role_config is not None)
            else None
        )

    def _context(self, operation: str, resource: str | None = None, **details: Any) -> ErrorContext:
        return ErrorContext(
            operation=operation,
            service=self.service_name,
            resource=resource,
            account_id=self._account_id,
            region=self.region,
            details=details,
        )

    @contextmanager
    def _translated(self, operation: str, resource: str | None = None) -> Iterator[None]:
        """Raise SDK errors as categorised AwsKitErrors carrying this call's context."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise error_from_sdk(exc, self._context(operation, resource)) from exc

    def _paginate(self, operation: str, result_key: str, **params: Any) -> Iterator[Any]:
        """Every item of every page, with SDK errors translated."""
        with self._translated(operation, params.get("StackName") or params.get("FunctionName")):
            yield from paginate(self.client, operation, result_key, **params)


def paginate(client: Any, operation: str, result_key: str, **params: Any) -> Iterator[Any]:
    """Every item of every page of `operation`: a list never stops at the first page."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(result_key, [])
        return
    # Some operations (DescribeStackResourceDrifts) have no botocore paginator.
    call = getattr(client, operation)
    while True:
        page = call(**params)
        yield from page.get(result_key, [])
        if not page.get("NextToken"):
            return
        params = {**params, "NextToken": page["NextToken"]}


def has_error_code(exc: BaseException, *codes: str) -> bool:
    """True when `exc` (or the SDK error behind it) carries one of `codes`."""
    code = getattr(exc, "code", None) or client_error_code(exc)
    return code in codes
