"""awskit: the shared AWS toolkit in driftwarden's Lambda layer (clients, retry, errors, services).

Lambda puts the layer's python/ folder on sys.path, so handlers `import awskit` directly.
"""

from awskit.clients import AssumeRoleConfig, AWSClientManager, CallerIdentity, role_arn_for
from awskit.errors import AwsError, AwsKitError, ErrorCategory, ErrorContext, ErrorSeverity
from awskit.retry import CircuitBreaker, RetryStrategy, with_retry

__all__ = [
    "AWSClientManager",
    "AssumeRoleConfig",
    "AwsError",
    "AwsKitError",
    "CallerIdentity",
    "CircuitBreaker",
    "ErrorCategory",
    "ErrorContext",
    "ErrorSeverity",
    "RetryStrategy",
    "role_arn_for",
    "with_retry",
]
