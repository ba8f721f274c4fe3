"""Categorised errors with user-facing messages, and translation of AWS SDK errors into them.

Errors are categorised by the AWS error CODE (or botocore exception class) through the tables in
this module, never by message text: messages change between SDK versions and regions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
)


class ErrorCategory(StrEnum):
    CONFIGURATION = "CONFIGURATION"
    AWS = "AWS"
    NETWORK = "NETWORK"
    STATE = "STATE"
    DEPENDENCY = "DEPENDENCY"
    PROVISIONING = "PROVISIONING"
    CREDENTIAL = "CREDENTIAL"
    PERMISSION = "PERMISSION"
    RESOURCE_LIMIT = "RESOURCE_LIMIT"
    VALIDATION = "VALIDATION"
    UNKNOWN = "UNKNOWN"


class ErrorSeverity(StrEnum):
    CRITICAL = "CRITICAL"
    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


@dataclass(frozen=True)
class ErrorContext:
    """Where an error happened: what we were doing, to what, in which account and region."""

    operation: str | None = None
    service: str | None = None
    resource: str | None = None
    account_id: str | None = None
    region: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fields = {
            "operation": self.operation,
            "service": self.service,
            "resource": self.resource,
            "account_id": self.account_id,
            "region": self.region,
        }
        result: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
        if self.details:
            result["details"] = dict(self.details)
        return result


class AwsKitError(Exception):
    """Base of every categorised error: a message, a category, a severity and suggested fixes.

    Subclasses set the category, severity, retryability and default suggestions; callers may add
    suggestions specific to their situation.
    """

    category: ClassVar[ErrorCategory] = ErrorCategory.UNKNOWN
    severity: ClassVar[ErrorSeverity] = ErrorSeverity.ERROR
    retryable: ClassVar[bool] = False
    default_suggestions: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        message: str,
        *,
        context: ErrorContext | None = None,
        suggestions: list[str] | tuple[str, ...] | None = None,
        cause: BaseException | None = None,
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.context = context or ErrorContext()
        self.suggestions: list[str] = list(suggestions or ()) + list(self.default_suggestions)
        self.cause = cause
        self.code = code
        self.http_status = http_status
        self.request_id = request_id

    def to_user_message(self) -> str:
        """Render the error for a person: header, context, cause, suggested fixes."""
        title = self.category.value.replace("_", " ").title()
        lines = [f"[{self.severity.value}] {title} error: {self.message}"]
        context = self.context.to_dict()
        details = context.pop("details", {})
        if context or details:
            lines.append("")
            lines.append("Context:")
            for key, value in context.items():
                lines.append(f"  {key.replace('_', ' ').capitalize()}: {value}")
            for key, value in details.items():
                lines.append(f"  {key}: {value}")
        cause = self._cause_line()
        if cause:
            lines.append("")
            lines.append(f"Cause: {cause}")
        if self.suggestions:
            lines.append("")
            lines.append("Suggested fixes:")
            lines.extend(f"  {number}. {text}" for number, text in enumerate(self.suggestions, 1))
        return "\n".join(lines)

    def _cause_line(self) -> str | None:
        parts = []
        if self.code:
            parts.append(self.code)
        if self.http_status:
            parts.append(f"HTTP {self.http_status}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        if self.cause is not None and not self.code:
            # With an AWS code the cause's text only repeats the message; without one it is
            # the only trace of what really failed.
            parts.append(f"{type(self.cause).__name__}: {self.cause}")
        return " | ".join(parts) if parts else None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "error": type(self).__name__,
            "message": self.message,
            "category": self.category.value,
            "severity": self.severity.value,
            "retryable": self.retryable,
            "suggestions": list(self.suggestions),
            "context": self.context.to_dict(),
        }
        for key in ("code", "http_status", "request_id"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        return result


class ConfigurationError(AwsKitError):
    category = ErrorCategory.CONFIGURATION
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check the configuration values (profile, region, role ARN) for typos.",
        "Run `aws configure list` to see what the SDK resolves.",
    )


class CredentialError(AwsKitError):
    category = ErrorCategory.CREDENTIAL
    severity = ErrorSeverity.CRITICAL
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Refresh your credentials (for SSO: `aws sso login --profile <name>`).",
        "Check that AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN belong together.",
        "Run `aws sts get-caller-identity` to confirm which identity is in use.",
    )


class AccessDeniedError(AwsKitError):
    category = ErrorCategory.PERMISSION
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check that the role's IAM policy allows this action on this resource.",
        "For a cross-account role, check its trust policy names the caller and the ExternalId.",
        "Look for a Service Control Policy or permissions boundary that denies the action.",
    )


class ResourceLimitError(AwsKitError):
    category = ErrorCategory.RESOURCE_LIMIT
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check the service quota in the Service Quotas console and request an increase.",
    )


class ThrottlingError(ResourceLimitError):
    severity = ErrorSeverity.WARNING
    retryable = True
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Lower the request rate or concurrency; the call is safe to retry with backoff.",
        "Use botocore's adaptive retry mode for sustained throttling.",
    )


class InvalidInputError(AwsKitError):
    category = ErrorCategory.VALIDATION
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check the request parameters against the API reference.",
    )


class ResourceNotFoundError(AwsKitError):
    category = ErrorCategory.AWS
    severity = ErrorSeverity.WARNING
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check the resource name and that you are looking in the right account and region.",
    )


class StateConflictError(AwsKitError):
    category = ErrorCategory.STATE
    severity = ErrorSeverity.WARNING
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Wait for the resource's current operation to finish, then try again.",
    )


class NetworkError(AwsKitError):
    category = ErrorCategory.NETWORK
    retryable = True
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Check network connectivity and any proxy, VPC endpoint or firewall on the way.",
        "Check that the region and endpoint URL are right.",
    )


class ServiceUnavailableError(AwsKitError):
    """A transient fault on AWS's side (5xx): safe to retry."""

    category = ErrorCategory.AWS
    severity = ErrorSeverity.WARNING
    retryable = True
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "This is usually transient; retry with backoff.",
    )


class DependencyError(AwsKitError):
    category = ErrorCategory.DEPENDENCY
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "A dependency is failing; see its own error for the fix.",
    )


class ProvisioningError(AwsKitError):
    category = ErrorCategory.PROVISIONING
    default_suggestions: ClassVar[tuple[str, ...]] = (
        "Inspect the stack events for the first failed resource.",
    )


class AwsError(AwsKitError):
    """An AWS error with no more specific category; `from_sdk_error` picks the right type."""

    category = ErrorCategory.AWS

    @classmethod
    def from_sdk_error(cls, exc: BaseException, context: ErrorContext | None = None) -> AwsKitError:
        return error_from_sdk(exc, context)


# --- Translation tables -------------------------------------------------------------------------
# One table, one place: the retry module reads the same tables so "retryable" and "category"
# can never disagree.

CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "AuthFailure",
        "RequestExpired",
        "InvalidToken",
    }
)
PERMISSION_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "403",
        "OptInRequired",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "TransactionInProgressException",
    }
)
LIMIT_CODES = frozenset(
    {
        "LimitExceededException",
        "LimitExceeded",
        "ServiceQuotaExceededException",
        "TooManyBuckets",
        "ResourceLimitExceeded",
    }
)
VALIDATION_CODES = frozenset(
    {
        "ValidationError",
        "ValidationException",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterException",
        "InvalidParameterCombination",
        "MissingParameter",
        "InvalidInput",
        "InvalidRequest",
        "InvalidRequestException",
        "MalformedPolicyDocument",
        "SerializationException",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceNotFound",
        "NoSuchEntity",
        "NoSuchBucket",
        "NoSuchKey",
        "NotFound",
        "NotFoundException",
        "404",
        "StackSetNotFoundException",
        "StackInstanceNotFoundException",
        "ChangeSetNotFound",
        "TableNotFoundException",
    }
)
STATE_CODES = frozenset(
    {
        "ConditionalCheckFailedException",
        "ResourceInUseException",
        "ResourceConflictException",
        "ConflictException",
        "OperationInProgressException",
        "InvalidStateException",
        "TransactionConflictException",
        "OperationIdAlreadyExistsException",
        "TokenAlreadyExistsException",
    }
)
TRANSIENT_SERVER_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
    }
)
TRANSIENT_HTTP_STATUSES = frozenset({500, 502, 503, 504})

_CODE_TABLE: tuple[tuple[frozenset[str], type[AwsKitError]], ...] = (
    (CREDENTIAL_CODES, CredentialError),
    (PERMISSION_CODES, AccessDeniedError),
    (THROTTLING_CODES, ThrottlingError),
    (LIMIT_CODES, ResourceLimitError),
    (VALIDATION_CODES, InvalidInputError),
    (NOT_FOUND_CODES, ResourceNotFoundError),
    (STATE_CODES, StateConflictError),
    (TRANSIENT_SERVER_CODES, ServiceUnavailableError),
)

# botocore raises these before (or instead of) getting an AWS response.
NETWORK_EXCEPTIONS: tuple[type[BaseException], ...] = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
    BotocoreConnectionError,
)
_EXCEPTION_TABLE: tuple[tuple[tuple[type[BaseException], ...], type[AwsKitError]], ...] = (
    ((NoCredentialsError, PartialCredentialsError, CredentialRetrievalError), CredentialError),
    ((ProfileNotFound, NoRegionError), ConfigurationError),
    (NETWORK_EXCEPTIONS, NetworkError),
)


def error_type_for_code(code: str | None, http_status: int | None = None) -> type[AwsKitError]:
    """The error type an AWS error code maps to; transient HTTP statuses decide unknown codes."""
    if code:
        for codes, error_type in _CODE_TABLE:
            if code in codes:
                return error_type
    if http_status in TRANSIENT_HTTP_STATUSES:
        return ServiceUnavailableError
    if http_status == 404:
        return ResourceNotFoundError
    return AwsError


def client_error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, or None for anything else."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or None
    return None


def error_from_sdk(exc: BaseException, context: ErrorContext | None = None) -> AwsKitError:
    """Translate any exception raised by boto3/botocore into a categorised AwsKitError."""
    if isinstance(exc, AwsKitError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        metadata = exc.response.get("ResponseMetadata", {})
        code = error.get("Code") or None
        status = metadata.get("HTTPStatusCode")
        error_type = error_type_for_code(code, status)
        return error_type(
            error.get("Message") or str(exc),
            context=context,
            cause=exc,
            code=code,
            http_status=status,
            request_id=metadata.get("RequestId"),
        )
    for exception_types, error_type in _EXCEPTION_TABLE:
        if isinstance(exc, exception_types):
            return error_type(str(exc), context=context, cause=exc, code=type(exc).__name__)
    return AwsKitError(str(exc) or type(exc).__name__, context=context, cause=exc)


class ErrorHandler:
    """Turns any exception into a categorised error and logs it once, without secrets."""

    def __init__(self, logger: logging.Logger | Any | None = None) -> None:
        self._logger = logger or logging.getLogger("awskit")

    def handle_exception(
        self, exc: BaseException, context: ErrorContext | None = None
    ) -> AwsKitError:
        error = error_from_sdk(exc, context)
        if context is not None and error.context is not context and not error.context.to_dict():
            error.context = context
        self.log_error(error)
        return error

    def log_error(self, error: AwsKitError) -> None:
        # Method by name so both logging.Logger and Powertools' Logger work here.
        log = getattr(self._logger, error.severity.value.lower())
        log(error.message, extra={"error": error.to_dict()})
