"""AWSClientManager: one place that resolves credentials, assumes roles and caches clients.

Credential order (first that works wins): an assumed role, a named profile, environment
variables, the container/instance role, the default profile. Assumed-role credentials are
botocore refreshable credentials: they renew themselves before they expire, so long-running
callers never see an ExpiredToken. Secret keys and session tokens are never logged.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from awskit.errors import (
    AccessDeniedError,
    AwsKitError,
    ConfigurationError,
    CredentialError,
    ErrorContext,
    error_from_sdk,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_sts import STSClient

logger = logging.getLogger("awskit.clients")

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/[\w+=,.@/-]+$"
)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")

# Where botocore says the credentials came from -> the names of the seed's resolution order.
_CREDENTIAL_SOURCES = {
    "assume-role-managed": "assumed-role",
    "assume-role": "profile",
    "shared-credentials-file": "profile",
    "config-file": "profile",
    "sso": "profile",
    "custom-process": "profile",
    "env": "environment",
    "iam-role": "instance-role",
    "container-role": "instance-role",
    "assume-role-with-web-identity": "web-identity",
}
_INSTANCE_ROLE_PROVIDERS = ("container-role", "iam-role")
_ASSUMED_METHOD = "assume-role-managed"


def role_arn_for(account_id: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of `role_name` in `account_id` (role_name may carry a path: 'audit/Reader')."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name.strip('/')}"


@dataclass(frozen=True)
class AssumeRoleConfig:
    """What to assume: the role, the session name CloudTrail shows, and the ExternalId."""

    role_arn: str
    session_name: str = "awskit"
    external_id: str | None = None
    duration_seconds: int = 3600

    def __post_init__(self) -> None:
        if not _ROLE_ARN.match(self.role_arn):
            raise ConfigurationError(
                f"not an IAM role ARN: {self.role_arn!r}",
                suggestions=["Use the form arn:aws:iam::123456789012:role/RoleName."],
            )
        if not _SESSION_NAME.match(self.session_name):
            raise ConfigurationError(
                f"invalid role session name {self.session_name!r}",
                suggestions=["Use 2-64 characters from letters, digits and +=,.@-_."],
            )
        if self.external_id is not None and not _EXTERNAL_ID.match(self.external_id):
            raise ConfigurationError(
                "invalid ExternalId (2-1224 characters from letters, digits and +=,.@:/-_)"
            )
        if not 900 <= self.duration_seconds <= 43200:
            raise ConfigurationError(
                f"duration_seconds must be 900..43200, got {self.duration_seconds}"
            )

    @property
    def account_id(self) -> str:
        match = _ROLE_ARN.match(self.role_arn)
        assert match is not None  # validated in __post_init__
        return match["account"]


@dataclass(frozen=True)
class CallerIdentity:
    account_id: str
    arn: str
    user_id: str
    credential_source: str


@dataclass(frozen=True)
class AssumedRole:
    """What an AssumeRole gave us, minus the secrets."""

    role_arn: str
    account_id: str
    expiration: datetime | None


class _AssumeRoleProvider(CredentialProvider):
    """A botocore credential provider that hands out self-refreshing assumed-role credentials."""

    METHOD = _ASSUMED_METHOD

    def __init__(self, fetch: Callable[[], dict[str, Any]], clock: Callable[[], datetime] | None):
        super().__init__()
        self._fetch = fetch
        self._clock = clock

    def load(self) -> DeferredRefreshableCredentials:
        options: dict[str, Any] = {"refresh_using": self._fetch, "method": self.METHOD}
        if self._clock is not None:
            options["time_fetcher"] = self._clock
        return DeferredRefreshableCredentials(**options)


class AWSClientManager:
    """Cached, pooled boto3 clients for one identity (a profile, the environment, or a role).

    `for_role()` hands out a manager for another account's role, cached per role, whose
    credentials come from AssumeRole with this manager's identity.
    """

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        assume_role_config: AssumeRoleConfig | None = None,
        max_pool_connections: int = 50,
        *,
        retry_mode: Literal["standard", "adaptive"] = "standard",
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if max_pool_connections < 1:
            raise ConfigurationError("max_pool_connections must be >= 1")
        self.profile = profile
        self.assume_role_config = assume_role_config
        self.max_pool_connections = max_pool_connections
        self._options: dict[str, Any] = {
            "max_pool_connections": max_pool_connections,
            "retry_mode": retry_mode,
            "max_attempts": max_attempts,
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "endpoint_url": endpoint_url,
            "clock": clock,
        }
        self._endpoint_url = endpoint_url
        self._clock = clock
        self._config = Config(
            max_pool_connections=max_pool_connections,
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra="awskit",
        )
        self._lock = threading.RLock()
        self._clients: dict[tuple[str, str, str], BaseClient] = {}
        self._role_managers: dict[tuple[str, str | None, str], AWSClientManager] = {}
        self._identity: CallerIdentity | None = None
        self._last_assumed: AssumedRole | None = None

        self._source_session = session or self._build_source_session(profile, region)
        self.region: str | None = region or self._source_session.region_name
        self._session = (
            self._build_assumed_session(assume_role_config)
            if assume_role_config
            else self._source_session
        )

    # --- sessions -------------------------------------------------------------------------------

    @staticmethod
    def _build_source_session(profile: str | None, region: str | None) -> boto3.Session:
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as exc:
            raise ConfigurationError(
                f"AWS profile {profile!r} was not found",
                context=ErrorContext(operation="create_session", details={"profile": profile}),
                suggestions=["Run `aws configure list-profiles` to see the configured profiles."],
                cause=exc,
                code="ProfileNotFound",
            ) from exc
        if profile is None:
            _prefer_instance_role_over_shared_files(session._session)
        return session

    def _build_assumed_session(self, config: AssumeRoleConfig) -> boto3.Session:
        core = botocore.session.Session()
        provider = _AssumeRoleProvider(lambda: self._fetch_assumed_credentials(config), self._clock)
        core.register_component("credential_provider", CredentialResolver(providers=[provider]))
        return boto3.Session(botocore_session=core, region_name=self.region)

    def _sts_for_assume(self) -> STSClient:
        region = self.region or "us-east-1"
        key = ("source", region, "sts")
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._source_session.client(
                    "sts", region_name=region, config=self._config, endpoint_url=self._endpoint_url
                )
                self._clients[key] = client
        return client  # type: ignore[return-value]

    def _fetch_assumed_credentials(self, config: AssumeRoleConfig) -> dict[str, Any]:
        """botocore's refresh callback: called on first use and again before expiry."""
        request: dict[str, Any] = {
            "RoleArn": config.role_arn,
            "RoleSessionName": config.session_name,
            "DurationSeconds": config.duration_seconds,
        }
        if config.external_id is not None:
            request["ExternalId"] = config.external_id
        context = ErrorContext(
            operation="AssumeRole",
            service="sts",
            resource=config.role_arn,
            account_id=config.account_id,
            region=self.region,
        )
        try:
            response = self._sts_for_assume().assume_role(**request)
        except (ClientError, BotoCoreError) as exc:
            error = error_from_sdk(exc, context)
            if isinstance(error, AccessDeniedError):
                error.suggestions.insert(
                    0,
                    f"Check that {config.role_arn} exists, trusts the calling identity, and "
                    "requires the same ExternalId that this caller sends.",
                )
            raise error from exc
        credentials = response["Credentials"]
        expiration = credentials["Expiration"]
        self._last_assumed = AssumedRole(config.role_arn, config.account_id, expiration)
        logger.info(
            "assumed role",
            extra={
                "role_arn": config.role_arn,
                "session_name": config.session_name,
                "expiration": expiration.isoformat(),
            },
        )
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": expiration.isoformat(),
        }

    # --- identity -------------------------------------------------------------------------------

    @property
    def credential_source(self) -> str | None:
        """Where this manager's credentials come from, in the seed's vocabulary."""
        if self.assume_role_config is not None:
            return "assumed-role"
        credentials = self._source_session.get_credentials()
        if credentials is None:
            return None
        method = getattr(credentials, "method", "") or ""
        if self.profile is None and method in ("shared-credentials-file", "config-file"):
            return "default-profile"
        return _CREDENTIAL_SOURCES.get(method, method or "unknown")

    def validate_credentials(self, *, refresh: bool = False) -> CallerIdentity:
        """Call STS GetCallerIdentity; raise a CredentialError with fixes when none work."""
        with self._lock:
            if self._identity is not None and not refresh:
                return self._identity
        if self.assume_role_config is None and self._source_session.get_credentials() is None:
            raise CredentialError(
                "no AWS credentials found",
                context=ErrorContext(operation="GetCallerIdentity", service="sts"),
                suggestions=[
                    "Looked for, in order: an assumed role, a named profile, environment "
                    "variables, the container/instance role and the default profile.",
                    "Set AWS_PROFILE or pass profile=..., or export AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY.",
                ],
                code="NoCredentialsError",
            )
        sts = self.get_client("sts", self.region or "us-east-1")
        try:
            response = sts.get_caller_identity()
        except (ClientError, BotoCoreError) as exc:
            raise error_from_sdk(
                exc, ErrorContext(operation="GetCallerIdentity", service="sts", region=self.region)
            ) from exc
        identity = CallerIdentity(
            account_id=response["Account"],
            arn=response["Arn"],
            user_id=response["UserId"],
            credential_source=self.credential_source or "unknown",
        )
        with self._lock:
            self._identity = identity
        logger.debug(
            "credentials validated",
            extra={"account_id": identity.account_id, "arn": identity.arn},
        )
        return identity

    @property
    def account_id(self) -> str:
        """The account these credentials act in (no API call for an assumed role)."""
        if self.assume_role_config is not None:
            return self.assume_role_config.account_id
        return self.validate_credentials().account_id

    def assume_role(self) -> AssumedRole:
        """Assume the configured role now (normally lazy) and say what was obtained."""
        if self.assume_role_config is None:
            raise ConfigurationError("this manager has no assume_role_config")
        credentials = self._session.get_credentials()
        assert credentials is not None  # our resolver always returns refreshable credentials
        credentials.get_frozen_credentials()  # triggers AssumeRole when not yet done or stale
        assert self._last_assumed is not None
        return self._last_assumed

    # --- other accounts -------------------------------------------------------------------------

    def for_role(
        self,
        role_arn: str,
        external_id: str | None = None,
        session_name: str = "awskit",
        duration_seconds: int = 3600,
    ) -> AWSClientManager:
        """A manager acting as `role_arn`, assumed with this manager's identity; cached per role.

        Cheap: nothing is called until the first client is used.
        """
        key = (role_arn, external_id, session_name)
        with self._lock:
            manager = self._role_managers.get(key)
            if manager is None:
                config = AssumeRoleConfig(role_arn, session_name, external_id, duration_seconds)
                options = dict(self._options)
                manager = AWSClientManager(
                    region=self.region,
                    assume_role_config=config,
                    session=self._session,
                    **options,
                )
                self._role_managers[key] = manager
        return manager

    # --- clients --------------------------------------------------------------------------------

    def get_client(self, service: str, region: str | None = None) -> Any:
        """A client for `service` in `region` (default: the manager's), cached and pooled."""
        region_name = region or self.region
        if not region_name:
            raise ConfigurationError(
                f"no region for the {service} client",
                context=ErrorContext(operation="get_client", service=service),
                suggestions=["Pass region=..., or set AWS_REGION / AWS_DEFAULT_REGION."],
                code="NoRegionError",
            )
        key = (self._cache_identity(), region_name, service)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # Sessions are not thread-safe; creating clients under the lock keeps them safe.
                client = self._session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region_name,
                    config=self._config,
                    endpoint_url=self._endpoint_url,
                )
                self._clients[key] = client
        return client

    def _cache_identity(self) -> str:
        # One manager holds one identity, so the key only has to be stable: a role's account is
        # known from its ARN; a source identity is "source" rather than an STS round trip.
        if self.assume_role_config is not None:
            return self.assume_role_config.account_id
        return "source"

    def clear_cache(self) -> None:
        """Drop cached clients, identities and per-role managers (they re-create on demand)."""
        with self._lock:
            for manager in self._role_managers.values():
                manager.clear_cache()
            self._role_managers.clear()
            self._clients.clear()
            self._identity = None

    def __repr__(self) -> str:
        target = self.assume_role_config.role_arn if self.assume_role_config else self.profile
        return f"AWSClientManager(identity={target or 'default-chain'}, region={self.region})"


def _prefer_instance_role_over_shared_files(core: botocore.session.Session) -> None:
    """Reorder botocore's chain to the seed's order: environment, then the container/instance
    role, then the default profile's files. botocore alone reads the files first."""
    try:
        resolver = core.get_component("credential_provider")
        providers = [resolver.get_provider(name) for name in _INSTANCE_ROLE_PROVIDERS]
        for name in _INSTANCE_ROLE_PROVIDERS:
            resolver.remove(name)
        for provider in reversed(providers):
            resolver.insert_after("env", provider)
    except (KeyError, ValueError, AttributeError) as exc:  # an unknown botocore layout
        logger.debug("kept botocore's credential order", extra={"reason": str(exc)})


__all__ = [
    "AWSClientManager",
    "AssumeRoleConfig",
    "AssumedRole",
    "AwsKitError",
    "CallerIdentity",
    "role_arn_for",
]
