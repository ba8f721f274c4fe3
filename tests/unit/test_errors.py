"""Error categorisation by code, user-facing messages and serialisation."""

from __future__ import annotations

import builtins
import logging

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)

import awskit.errors as errors_module
from awskit.errors import (
    AccessDeniedError,
    AwsError,
    AwsKitError,
    ConfigurationError,
    CredentialError,
    ErrorCategory,
    ErrorContext,
    ErrorHandler,
    ErrorSeverity,
    InvalidInputError,
    NetworkError,
    ResourceLimitError,
    ResourceNotFoundError,
    ServiceUnavailableError,
    StateConflictError,
    ThrottlingError,
    error_from_sdk,
)
from tests.helpers import client_error


@pytest.mark.parametrize(
    ("code", "status", "error_type", "category"),
    [
        ("ExpiredToken", 403, CredentialError, ErrorCategory.CREDENTIAL),
        ("ExpiredTokenException", 400, CredentialError, ErrorCategory.CREDENTIAL),
        ("InvalidClientTokenId", 403, CredentialError, ErrorCategory.CREDENTIAL),
        ("UnrecognizedClientException", 400, CredentialError, ErrorCategory.CREDENTIAL),
        ("SignatureDoesNotMatch", 403, CredentialError, ErrorCategory.CREDENTIAL),
        ("AccessDenied", 403, AccessDeniedError, ErrorCategory.PERMISSION),
        ("AccessDeniedException", 400, AccessDeniedError, ErrorCategory.PERMISSION),
        ("UnauthorizedOperation", 403, AccessDeniedError, ErrorCategory.PERMISSION),
        ("403", 403, AccessDeniedError, ErrorCategory.PERMISSION),
        ("Throttling", 400, ThrottlingError, ErrorCategory.RESOURCE_LIMIT),
        ("ThrottlingException", 400, ThrottlingError, ErrorCategory.RESOURCE_LIMIT),
        ("TooManyRequestsException", 429, ThrottlingError, ErrorCategory.RESOURCE_LIMIT),
        ("RequestLimitExceeded", 503, ThrottlingError, ErrorCategory.RESOURCE_LIMIT),
        ("LimitExceededException", 400, ResourceLimitError, ErrorCategory.RESOURCE_LIMIT),
        ("ServiceQuotaExceededException", 402, ResourceLimitError, ErrorCategory.RESOURCE_LIMIT),
        ("ValidationError", 400, InvalidInputError, ErrorCategory.VALIDATION),
        ("ValidationException", 400, InvalidInputError, ErrorCategory.VALIDATION),
        ("InvalidParameterValue", 400, InvalidInputError, ErrorCategory.VALIDATION),
        ("ResourceNotFoundException", 400, ResourceNotFoundError, ErrorCategory.AWS),
        ("NoSuchEntity", 404, ResourceNotFoundError, ErrorCategory.AWS),
        ("NoSuchBucket", 404, ResourceNotFoundError, ErrorCategory.AWS),
        ("404", 404, ResourceNotFoundError, ErrorCategory.AWS),
        ("ConditionalCheckFailedException", 400, StateConflictError, ErrorCategory.STATE),
        ("ResourceInUseException", 400, StateConflictError, ErrorCategory.STATE),
        ("InternalFailure", 500, ServiceUnavailableError, ErrorCategory.AWS),
        ("ServiceUnavailable", 503, ServiceUnavailableError, ErrorCategory.AWS),
        ("BrandNewCode", 503, ServiceUnavailableError, ErrorCategory.AWS),
        ("BrandNewCode", 400, AwsError, ErrorCategory.AWS),
    ],
)
def test_client_errors_are_categorised_by_code(
    code: str, status: int, error_type: type[AwsKitError], category: ErrorCategory
) -> None:
    error = error_from_sdk(client_error(code, status))
    assert type(error) is error_type
    assert error.category is category


def test_categorisation_ignores_the_message_text() -> None:
    misleading = client_error("Throttling", message="Access Denied: expired token, not found")
    assert type(error_from_sdk(misleading)) is ThrottlingError


@pytest.mark.parametrize(
    ("exception", "error_type", "category"),
    [
        (NoCredentialsError(), CredentialError, ErrorCategory.CREDENTIAL),
        (ProfileNotFound(profile="dev"), ConfigurationError, ErrorCategory.CONFIGURATION),
        (NoRegionError(), ConfigurationError, ErrorCategory.CONFIGURATION),
        (EndpointConnectionError(endpoint_url="https://x"), NetworkError, ErrorCategory.NETWORK),
        (ConnectTimeoutError(endpoint_url="https://x"), NetworkError, ErrorCategory.NETWORK),
        (ReadTimeoutError(endpoint_url="https://x"), NetworkError, ErrorCategory.NETWORK),
        (RuntimeError("boom"), AwsKitError, ErrorCategory.UNKNOWN),
    ],
)
def test_botocore_exceptions_are_categorised_by_class(
    exception: BaseException, error_type: type[AwsKitError], category: ErrorCategory
) -> None:
    error = error_from_sdk(exception)
    assert type(error) is error_type
    assert error.category is category
    assert error.cause is exception


def test_from_sdk_error_carries_code_status_request_id_and_context() -> None:
    context = ErrorContext(operation="DescribeStacks", service="cloudformation", region="eu-west-1")
    error = AwsError.from_sdk_error(client_error("AccessDenied", 403, "no"), context)
    assert isinstance(error, AccessDeniedError)
    assert (error.code, error.http_status, error.request_id) == ("AccessDenied", 403, "req-1234")
    assert error.context is context
    assert error.message == "no"


def test_an_already_categorised_error_passes_through_unchanged() -> None:
    original = ThrottlingError("slow down")
    assert error_from_sdk(original) is original


def test_every_category_and_severity_of_the_seed_exists() -> None:
    assert {c.value for c in ErrorCategory} == {
        "CONFIGURATION", "AWS", "NETWORK", "STATE", "DEPENDENCY", "PROVISIONING",
        "CREDENTIAL", "PERMISSION", "RESOURCE_LIMIT", "VALIDATION", "UNKNOWN",
    }  # fmt: skip
    assert {s.value for s in ErrorSeverity} == {"CRITICAL", "ERROR", "WARNING", "INFO"}


def test_no_error_type_is_named_after_a_builtin() -> None:
    error_names = {
        name
        for name, value in vars(errors_module).items()
        if isinstance(value, type) and issubclass(value, AwsKitError)
    }
    assert not error_names & set(dir(builtins))


def test_user_message_has_header_context_cause_and_numbered_fixes() -> None:
    error = AccessDeniedError(
        "not allowed to call DetectStackDrift",
        context=ErrorContext(
            operation="DetectStackDrift",
            service="cloudformation",
            account_id="222222222222",
            region="eu-west-1",
            details={"stack": "payments"},
        ),
        suggestions=["Add cloudformation:DetectStackDrift to the audit role."],
        code="AccessDenied",
        http_status=403,
        request_id="abc",
    )
    lines = error.to_user_message().splitlines()

    assert lines[0] == "[ERROR] Permission error: not allowed to call DetectStackDrift"
    assert lines[1:8] == [
        "",
        "Context:",
        "  Operation: DetectStackDrift",
        "  Service: cloudformation",
        "  Account id: 222222222222",
        "  Region: eu-west-1",
        "  stack: payments",
    ]
    assert lines[8:10] == ["", "Cause: AccessDenied | HTTP 403 | request id abc"]
    assert lines[10:13] == [
        "",
        "Suggested fixes:",
        "  1. Add cloudformation:DetectStackDrift to the audit role.",
    ]
    assert lines[13].startswith("  2. Check that the role's IAM policy")
    assert len(lines) == 10 + 2 + 1 + len(AccessDeniedError.default_suggestions)


def test_user_message_without_context_is_just_the_header_and_fixes() -> None:
    lines = InvalidInputError("bad name").to_user_message().splitlines()
    assert lines[0] == "[ERROR] Validation error: bad name"
    assert lines[1:3] == ["", "Suggested fixes:"]


def test_to_dict_is_json_ready() -> None:
    error = error_from_sdk(
        client_error("Throttling"), ErrorContext(operation="ListStacks", region="us-east-1")
    )
    assert error.to_dict() == {
        "error": "ThrottlingError",
        "message": "message",
        "category": "RESOURCE_LIMIT",
        "severity": "WARNING",
        "retryable": True,
        "suggestions": list(ThrottlingError.default_suggestions),
        "context": {"operation": "ListStacks", "region": "us-east-1"},
        "code": "Throttling",
        "http_status": 400,
        "request_id": "req-1234",
    }


def test_error_handler_categorises_and_logs_once_at_the_severity_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = ErrorHandler(logging.getLogger("test.handler"))
    context = ErrorContext(operation="AssumeRole")

    with caplog.at_level(logging.DEBUG, logger="test.handler"):
        error = handler.handle_exception(client_error("ExpiredToken", 403), context)

    assert isinstance(error, CredentialError)
    assert error.context is context
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.CRITICAL, "message")]
    assert caplog.records[0].__dict__["error"]["category"] == "CREDENTIAL"
