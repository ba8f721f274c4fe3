"""AWSClientManager against the emulator, across real account boundaries."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from awskit.clients import AssumeRoleConfig, AWSClientManager, role_arn_for
from awskit.errors import AccessDeniedError, ConfigurationError, CredentialError, ErrorCategory
from awskit.retry import RetryStrategy
from awskit.services import CloudFormationService
from emulator.faults import FaultInjector, FaultKind, FaultRule

pytestmark = pytest.mark.integration

SOURCE_ACCOUNT = "123456789012"  # moto's default account for the fake environment keys
MEMBER = "222222222222"
OTHER_MEMBER = "333333333333"
TEMPLATE = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'


class AssumeRoleRecorder:
    """Records the AssumeRole requests a session sends, as they go on the wire."""

    def __init__(self, session: boto3.Session) -> None:
        self.bodies: list[str] = []
        session.events.register("before-send.sts.AssumeRole", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        body = request.body
        self.bodies.append(body.decode() if isinstance(body, bytes) else str(body))


class SteppableClock:
    """An aware-datetime clock for botocore's refreshable credentials."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def stack_names(manager: AWSClientManager) -> set[str]:
    cloudformation = CloudFormationService(manager)
    return {stack["StackName"] for stack in cloudformation.describe_stacks()}


def test_assuming_a_member_role_switches_account(aws_emulator: FaultInjector) -> None:
    source = AWSClientManager(region="us-east-1")
    member = source.for_role(role_arn_for(MEMBER, "DriftAudit"), external_id="ext-1234")

    member.get_client("cloudformation").create_stack(StackName="member-only", TemplateBody=TEMPLATE)

    assert source.validate_credentials().account_id == SOURCE_ACCOUNT
    identity = member.validate_credentials()
    assert identity.account_id == MEMBER
    assert identity.arn.startswith(f"arn:aws:sts::{MEMBER}:assumed-role/DriftAudit/")
    assert identity.credential_source == "assumed-role"
    assert "member-only" in stack_names(member)
    assert "member-only" not in stack_names(source)


def test_external_id_and_session_name_go_on_the_wire(aws_emulator: FaultInjector) -> None:
    session = boto3.Session(region_name="us-east-1")
    recorder = AssumeRoleRecorder(session)
    source = AWSClientManager(session=session)

    source.for_role(
        role_arn_for(MEMBER, "DriftAudit"), external_id="ext-1234", session_name="driftwarden"
    ).validate_credentials()

    assert len(recorder.bodies) == 1
    assert "ExternalId=ext-1234" in recorder.bodies[0]
    assert "RoleSessionName=driftwarden" in recorder.bodies[0]


def test_role_managers_are_cached_per_role_and_assume_lazily(aws_emulator: FaultInjector) -> None:
    session = boto3.Session(region_name="us-east-1")
    recorder = AssumeRoleRecorder(session)
    source = AWSClientManager(session=session)
    arn = role_arn_for(MEMBER, "DriftAudit")

    first = source.for_role(arn, external_id="x-1")
    assert source.for_role(arn, external_id="x-1") is first
    assert source.for_role(arn, external_id="x-2") is not first
    assert recorder.bodies == []  # nothing assumed until a client is used

    for _ in range(3):
        first.get_client("cloudformation").list_stacks()
    assert len(recorder.bodies) == 1  # credentials reused while fresh


def test_assumed_credentials_refresh_before_expiry_without_the_caller_noticing(
    aws_emulator: FaultInjector,
) -> None:
    session = boto3.Session(region_name="us-east-1")
    recorder = AssumeRoleRecorder(session)
    clock = SteppableClock()
    source = AWSClientManager(session=session, clock=clock)
    member = source.for_role(role_arn_for(MEMBER, "DriftAudit"), duration_seconds=900)
    client = member.get_client("cloudformation")
    client.list_stacks()
    credentials = member._session.get_credentials()
    assert credentials is not None
    first_key = credentials.get_frozen_credentials().access_key

    clock.now += timedelta(minutes=6)  # 9 minutes left: inside botocore's mandatory window
    client.list_stacks()  # the same client keeps working

    assert len(recorder.bodies) == 2
    assert credentials.get_frozen_credentials().access_key != first_key
    assert member.validate_credentials(refresh=True).account_id == MEMBER


def test_denied_role_is_a_permission_error_with_suggestions(aws_emulator: FaultInjector) -> None:
    aws_emulator.add(
        FaultRule(
            FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=OTHER_MEMBER
        )
    )
    source = AWSClientManager(region="us-east-1")
    denied_arn = role_arn_for(OTHER_MEMBER, "DriftAudit")

    with pytest.raises(AccessDeniedError) as raised:
        source.for_role(denied_arn, external_id="ext-1234").validate_credentials()

    error = raised.value
    assert error.category is ErrorCategory.PERMISSION
    assert error.code == "AccessDenied"
    assert error.http_status == 403
    assert error.context.account_id == OTHER_MEMBER
    assert error.context.resource == denied_arn
    assert denied_arn in error.suggestions[0]
    assert "ExternalId" in error.suggestions[0]
    assert "Suggested fixes:" in error.to_user_message()
    # The other member account is unaffected.
    assert source.for_role(role_arn_for(MEMBER, "DriftAudit")).account_id == MEMBER


def test_throttled_operation_is_retried_with_backoff(aws_emulator: FaultInjector) -> None:
    throttle = aws_emulator.add(
        FaultRule(FaultKind.THROTTLE, service="cloudformation", operation="ListStacks", remaining=2)
    )
    # One SDK attempt per call, so the whole-operation strategy sees every throttle.
    manager = AWSClientManager(region="us-east-1", max_attempts=1)
    cloudformation = CloudFormationService(manager)
    sleeps: list[float] = []
    strategy = RetryStrategy(max_retries=3, base_delay=1.0, jitter=False, sleep=sleeps.append)

    result = strategy.execute_with_retry(lambda: list(cloudformation.list_stacks()))

    assert result == []
    assert throttle.injected == 2
    assert sleeps == [1.0, 2.0]


def test_permanent_error_is_not_retried(aws_emulator: FaultInjector) -> None:
    denial = aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="cloudformation", operation="ListStacks")
    )
    cloudformation = CloudFormationService(AWSClientManager(region="us-east-1", max_attempts=1))
    sleeps: list[float] = []
    strategy = RetryStrategy(max_retries=3, sleep=sleeps.append)

    with pytest.raises(AccessDeniedError):
        strategy.execute_with_retry(lambda: list(cloudformation.list_stacks()))

    assert denial.injected == 1
    assert sleeps == []


def test_botocore_retries_single_calls_in_standard_mode(aws_emulator: FaultInjector) -> None:
    throttle = aws_emulator.add(
        FaultRule(FaultKind.THROTTLE, service="cloudformation", operation="ListStacks", remaining=2)
    )
    client = AWSClientManager(region="us-east-1", max_attempts=3).get_client("cloudformation")

    client.list_stacks()

    assert throttle.injected == 2
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_clients_are_cached_per_region_and_service_and_pooled(aws_emulator: FaultInjector) -> None:
    manager = AWSClientManager(region="us-east-1", max_pool_connections=64, retry_mode="adaptive")
    client = manager.get_client("cloudformation")

    assert manager.get_client("cloudformation") is client
    assert manager.get_client("cloudformation", "us-east-1") is client
    assert manager.get_client("cloudformation", "eu-west-1") is not client
    assert manager.get_client("s3") is not client
    assert client.meta.config.max_pool_connections == 64
    assert client.meta.config.retries["mode"] == "adaptive"

    manager.validate_credentials()  # learning the account id does not fork the cache
    assert manager.get_client("cloudformation") is client

    manager.clear_cache()
    assert manager.get_client("cloudformation") is not client


def test_no_credential_material_reaches_the_logs(
    aws_emulator: FaultInjector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="awskit")
    caplog.set_level(logging.INFO)
    source = AWSClientManager(region="us-east-1")
    member = source.for_role(role_arn_for(MEMBER, "DriftAudit"), external_id="ext-1234")
    member.validate_credentials()
    list(CloudFormationService(member).describe_stacks())
    credentials = member._session.get_credentials()
    assert credentials is not None
    frozen = credentials.get_frozen_credentials()
    secrets = [str(frozen.secret_key), str(frozen.token), os.environ["AWS_SECRET_ACCESS_KEY"]]

    assert caplog.records, "expected the manager to log the role it assumed"
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        for secret in secrets:
            assert secret not in text
    assert all(secret not in repr(source) + repr(member) for secret in secrets)


# --- credential resolution -----------------------------------------------------------------------


def write_profile(aws_dir: Path, name: str, key: str) -> None:
    section = "default" if name == "default" else name
    with (aws_dir / "credentials").open("a") as handle:
        handle.write(f"[{section}]\naws_access_key_id = {key}\naws_secret_access_key = s3cr3t\n")


def test_environment_credentials_are_used_and_reported(aws_emulator: FaultInjector) -> None:
    manager = AWSClientManager(region="us-east-1")
    assert manager.credential_source == "environment"
    identity = manager.validate_credentials()
    assert identity.credential_source == "environment"
    assert identity.account_id == SOURCE_ACCOUNT


def test_named_profile_wins_over_environment(
    aws_emulator: FaultInjector, isolated_aws_environment: Path
) -> None:
    write_profile(isolated_aws_environment, "audit", "AKIAPROFILEKEY000001")
    manager = AWSClientManager(profile="audit", region="us-east-1")
    credentials = manager._source_session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "AKIAPROFILEKEY000001"
    assert manager.credential_source == "profile"


def test_environment_wins_over_default_profile(
    aws_emulator: FaultInjector, isolated_aws_environment: Path
) -> None:
    write_profile(isolated_aws_environment, "default", "AKIADEFAULTKEY000001")
    manager = AWSClientManager(region="us-east-1")
    credentials = manager._source_session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == os.environ["AWS_ACCESS_KEY_ID"]


def test_default_profile_is_the_last_resort(
    aws_emulator: FaultInjector, isolated_aws_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    write_profile(isolated_aws_environment, "default", "AKIADEFAULTKEY000001")
    manager = AWSClientManager(region="us-east-1")
    assert manager.credential_source == "default-profile"
    assert manager.validate_credentials().credential_source == "default-profile"


def test_instance_role_is_tried_before_the_default_profile() -> None:
    resolver = AWSClientManager(region="us-east-1")._source_session._session.get_component(
        "credential_provider"
    )
    order = [provider.METHOD for provider in resolver.providers]
    assert order.index("env") < order.index("container-role") < order.index("iam-role")
    assert order.index("iam-role") < order.index("shared-credentials-file")


def test_missing_profile_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        AWSClientManager(profile="nope", region="us-east-1")
    assert raised.value.code == "ProfileNotFound"
    assert any("list-profiles" in text for text in raised.value.suggestions)


def test_no_credentials_anywhere_is_a_credential_error_with_suggestions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialError) as raised:
        AWSClientManager(region="us-east-1").validate_credentials()
    assert raised.value.category is ErrorCategory.CREDENTIAL
    assert any("in order" in text for text in raised.value.suggestions)


def test_a_client_without_any_region_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError) as raised:
        AWSClientManager().get_client("cloudformation")
    assert raised.value.code == "NoRegionError"


@pytest.mark.parametrize(
    "options",
    [
        {"role_arn": "arn:aws:iam::12345:role/X"},
        {"role_arn": "arn:aws:s3:::bucket"},
        {"role_arn": "arn:aws:iam::123456789012:role/X", "session_name": "a"},
        {"role_arn": "arn:aws:iam::123456789012:role/X", "session_name": "has space"},
        {"role_arn": "arn:aws:iam::123456789012:role/X", "duration_seconds": 600},
        {"role_arn": "arn:aws:iam::123456789012:role/X", "external_id": "x"},
    ],
)
def test_assume_role_config_rejects_bad_values(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AssumeRoleConfig(**options)


def test_assume_role_config_reads_the_account_from_the_arn() -> None:
    config = AssumeRoleConfig(role_arn_for("444455556666", "audit/DriftAudit"))
    assert config.role_arn == "arn:aws:iam::444455556666:role/audit/DriftAudit"
    assert config.account_id == "444455556666"


def test_assume_role_reports_what_it_obtained(aws_emulator: FaultInjector) -> None:
    member = AWSClientManager(region="us-east-1").for_role(role_arn_for(MEMBER, "DriftAudit"))
    assumed = member.assume_role()
    assert assumed.account_id == MEMBER
    assert assumed.expiration is not None
    assert assumed.expiration > datetime.now(UTC)
