"""`python -m emulator`: options, fault files, and the server answering drift over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from emulator.__main__ import parse_args
from emulator.faults import FaultKind
from emulator.server import Emulator, EmulatorOptions, free_port, load_fault_rules

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorOptions(port=free_port(), cloudformation_rate=1000.0)).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_help_documents_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"], capture_output=True, text=True, check=True
    )
    for option in ("--port", "--detection-seconds", "--cloudformation-rate", "--faults"):
        assert option in result.stdout
    assert "not a drift engine for production" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    "argv", [["--port", "0"], ["--detection-seconds", "-1"], ["--cloudformation-rate", "0"]]
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2


def test_fault_rules_load_from_json(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps(
            [
                {"kind": "throttle", "service": "cloudformation", "rate": 0.3},
                {"kind": "access_denied", "operation": "AssumeRole", "account_id": "333333333333"},
            ]
        )
    )
    rules = load_fault_rules(path)
    assert [(r.kind, r.service, r.rate) for r in rules] == [
        (FaultKind.THROTTLE, "cloudformation", 0.3),
        (FaultKind.ACCESS_DENIED, None, 1.0),
    ]


@pytest.mark.parametrize(
    "content", ["not json", '{"kind": "throttle"}', '[{"kind": "explode"}]', '[{"rate": 1}]']
)
def test_bad_fault_files_are_refused_with_a_clear_message(tmp_path: Path, content: str) -> None:
    path = tmp_path / "faults.json"
    path.write_text(content)
    with pytest.raises(SystemExit) as exited:
        load_fault_rules(path)
    assert str(path) in str(exited.value)


def test_the_server_answers_drift_detection_over_http(
    server: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5}}}}
    cloudformation.create_stack(StackName="s", TemplateBody=json.dumps(template))
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.set_queue_attributes(
        QueueUrl=sqs.list_queues()["QueueUrls"][0], Attributes={"DelaySeconds": "9"}
    )

    detection = cloudformation.detect_stack_drift(StackName="s")["StackDriftDetectionId"]
    status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)

    assert status["StackDriftStatus"] == "DRIFTED"
    drifts = cloudformation.describe_stack_resource_drifts(StackName="s")["StackResourceDrifts"]
    assert drifts[0]["PropertyDifferences"][0]["PropertyPath"] == "/DelaySeconds"
    assert (
        server.injector.rate_limit_stats("cloudformation")[("123456789012", "us-east-1")]["allowed"]
        >= 4
    )
