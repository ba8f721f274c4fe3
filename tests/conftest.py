"""Fixtures for every test: fake credentials, no stray AWS config, no network but loopback."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.demo import DemoRun
    from emulator.faults import FaultInjector

pytest_plugins = ["emulator.fixtures"]

# Handler modules build their Powertools Logger/Metrics/Tracer when imported, which happens at
# collection, before any fixture runs: these must be in place first.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "driftwarden")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "DriftwardenTest")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

FAKE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "MOTO_ACCOUNT_ID",
)


@pytest.fixture(autouse=True)
def isolated_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test starts with fake environment credentials and empty AWS config files, so a
    developer's ~/.aws never leaks in. Returns the folder the config files live in."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    aws_dir = tmp_path / "aws-config"
    aws_dir.mkdir()
    (aws_dir / "config").write_text("")
    (aws_dir / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "DriftwardenTest")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    return aws_dir


@pytest.fixture(autouse=True)
def loopback_only_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to servers on this machine only; anything else is a bug in the test."""
    original_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1"):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return original_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def demo_run(aws_emulator: FaultInjector, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoRun]:
    """`make demo`'s audit in process: the seeded organization through the service's own path
    (schedule -> queue -> worker -> API), with the third member's audit role denied."""
    from driftwarden.settings import clear_settings
    from driftwarden.wiring import clear_wiring
    from emulator import demo
    from emulator.faults import FaultKind, FaultRule

    organization = demo.seed()
    # The demo writes its service settings into the environment; monkeypatch restores them.
    for name in demo.service_environment(organization, "queue"):
        monkeypatch.setenv(name, "")  # records the original value (or absence) to restore
        monkeypatch.delenv(name)
    denied = organization.members[demo.DENIED_MEMBER].account_id
    aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=denied)
    )
    yield demo.audit(organization)
    clear_settings()
    clear_wiring()
