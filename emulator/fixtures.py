"""pytest fixtures for running tests against the in-process emulator.

Load with `pytest_plugins = ["emulator.fixtures"]` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from emulator import drift
from emulator.faults import FaultInjector, injected_faults


@pytest.fixture
def aws_emulator() -> Iterator[FaultInjector]:
    """moto in-process with the drift extension and fault injection; yields the injector so
    tests can add faults. Drift settings are reset afterwards."""
    drift.install()
    try:
        with mock_aws(), injected_faults() as injector:
            yield injector
    finally:
        drift.SETTINGS = drift.DriftSettings()
