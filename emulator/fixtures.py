"""pytest fixtures for running tests against the in-process emulator.

Load with `pytest_plugins = ["emulator.fixtures"]` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from emulator.faults import FaultInjector, injected_faults


@pytest.fixture
def aws_emulator() -> Iterator[FaultInjector]:
    """moto in-process with fault injection; yields the injector so tests can add faults."""
    with mock_aws(), injected_faults() as injector:
        yield injector
