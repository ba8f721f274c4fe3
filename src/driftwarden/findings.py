"""Publishing what an audit found: one structured log line per drift finding in a dedicated
CloudWatch Logs group, EMF metrics per account and region, and an EventBridge event for each
drift transition (never for a stack whose drift did not change).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from awskit.errors import ErrorContext, error_from_sdk
from awskit.services.base import has_error_code
from driftwarden.models import StackResult, StackState, TargetResult

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef
    from mypy_boto3_logs import CloudWatchLogsClient

    from driftwarden.store import Recorded

EVENT_SOURCE = "driftwarden"
EVENT_DETAIL_TYPE = "Stack Drift State Change"
_EVENTS_PER_PUT = 10  # PutEvents' limit
_LOG_BATCH_EVENTS = 10_000  # PutLogEvents' limits: events and bytes (+26 per event)
_LOG_BATCH_BYTES = 1_048_576
_EVENT_RESOURCES = 20  # drifted resources listed in one event; the API has the rest


class _BufferingHandler(logging.Handler):
    """Keeps formatted lines until the publisher ships them with PutLogEvents."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((int(record.created * 1000), self.format(record)))


_handler = _BufferingHandler()
_ship_lock = threading.Lock()  # one publisher logs and drains the buffer at a time


@cache
def _findings_logger() -> Logger:
    # Built on first use (nothing at import), once: Powertools configures a logger name once.
    logger = Logger(service="driftwarden-findings", logger_handler=_handler, level="INFO")
    logger._logger.propagate = False  # findings go to their own group, not the function's log
    return logger


@dataclass(frozen=True)
class Finding:
    """One drift finding: a difference of a drifted resource, or a deleted resource."""

    fields: dict[str, Any]


def findings_of(result: StackResult) -> Iterator[Finding]:
    for resource in result.drifted_resources:
        where = {
            "account_id": result.account_id,
            "region": result.region,
            "stack_name": result.stack_name,
            "resource_stack_name": resource.stack_name,
            "logical_resource_id": resource.logical_resource_id,
            "physical_resource_id": resource.physical_resource_id,
            "resource_type": resource.resource_type,
            "resource_status": resource.status.value,
            "checked_at": result.checked_at.isoformat(),
        }
        if not resource.differences:
            yield Finding({**where, "property_path": None, "difference_type": "DELETED",
                           "expected": None, "actual": None})  # fmt: skip
        for difference in resource.differences:
            if difference.ignored:
                continue
            yield Finding({
                **where,
                "property_path": difference.property_path,
                "difference_type": difference.difference_type,
                "expected": difference.expected_value,
                "actual": difference.actual_value,
            })  # fmt: skip


class FindingsPublisher:
    def __init__(
        self,
        logs: CloudWatchLogsClient,
        events: EventBridgeClient,
        *,
        log_group: str,
        event_bus: str,
        metrics_namespace: str,
        metrics_stream: IO[str] | None = None,
    ) -> None:
        self.logs = logs
        self.events = events
        self.log_group = log_group
        self.event_bus = event_bus
        self.metrics_namespace = metrics_namespace
        self.metrics_stream = metrics_stream  # EMF goes to stdout by default (Lambda's log)
        self._log_stream = f"{time.strftime('%Y/%m/%d')}/{uuid.uuid4().hex}"
        self._log_stream_created = False

    # --- logs -----------------------------------------------------------------------------------

    def log_findings(self, results: Sequence[StackResult]) -> int:
        """One Powertools JSON line per finding, shipped to the findings log group."""
        with _ship_lock:
            logger = _findings_logger()
            _handler.lines.clear()
            for result in results:
                for finding in findings_of(result):
                    logger.info("drift finding", extra=finding.fields)
            lines = list(_handler.lines)
            _handler.lines.clear()
        for batch in _log_batches(lines):
            self._put_log_events(batch)
        return len(lines)

    def _put_log_events(self, batch: list[tuple[int, str]]) -> None:
        context = ErrorContext(operation="PutLogEvents", service="logs", resource=self.log_group)
        try:
            if not self._log_stream_created:
                try:
                    self.logs.create_log_stream(
                        logGroupName=self.log_group, logStreamName=self._log_stream
                    )
                except ClientError as exc:
                    if not has_error_code(exc, "ResourceAlreadyExistsException"):
                        raise
                self._log_stream_created = True
            self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=self._log_stream,
                logEvents=[{"timestamp": ts, "message": line} for ts, line in batch],
            )
        except (ClientError, BotoCoreError) as exc:
            raise error_from_sdk(exc, context) from exc

    # --- metrics --------------------------------------------------------------------------------

    def emit_metrics(self, target: TargetResult) -> dict[str, Any]:
        """One EMF document for the target, dimensioned by account and region."""
        metrics = EphemeralMetrics(namespace=self.metrics_namespace)
        metrics.add_dimension(name="AccountId", value=target.account_id)
        metrics.add_dimension(name="Region", value=target.region)
        failures = target.count(StackState.FAILED) + (1 if target.error else 0)
        counts = {
            "DriftedStacks": target.count(StackState.DRIFTED),
            "InSyncStacks": target.count(StackState.IN_SYNC),
            "NotCheckedResources": sum(s.coverage.unchecked for s in target.stacks),
            "CheckFailures": failures,
        }
        for name, value in counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        for stack in target.stacks:
            metrics.add_metric(
                name="DetectionSeconds", unit=MetricUnit.Seconds, value=stack.detection_seconds
            )
        document: dict[str, Any] = dict(metrics.serialize_metric_set())
        if self.metrics_stream is None and os.environ.get("POWERTOOLS_METRICS_DISABLED") == "true":
            return document  # Powertools' switch for metrics, honoured here too
        # CloudWatch reads EMF from the function's stdout.
        print(json.dumps(document, separators=(",", ":")), file=self.metrics_stream or sys.stdout)
        return document

    # --- events ---------------------------------------------------------------------------------

    def publish_transitions(self, changes: Sequence[tuple[StackResult, Recorded]]) -> int:
        """An event per stack whose drift changed; unchanged stacks publish nothing."""
        entries: list[PutEventsRequestEntryTypeDef] = [
            {
                "Source": EVENT_SOURCE,
                "DetailType": EVENT_DETAIL_TYPE,
                "EventBusName": self.event_bus,
                "Resources": [result.stack_id],
                "Detail": json.dumps(_event_detail(result, recorded), default=str),
            }
            for result, recorded in changes
            if recorded.transition is not None
        ]
        context = ErrorContext(operation="PutEvents", service="events", resource=self.event_bus)
        for start in range(0, len(entries), _EVENTS_PER_PUT):
            batch = entries[start : start + _EVENTS_PER_PUT]
            try:
                response = self.events.put_events(Entries=batch)
                if response.get("FailedEntryCount"):  # retry what failed, once
                    failed = [
                        entry
                        for entry, outcome in zip(batch, response["Entries"], strict=True)
                        if outcome.get("ErrorCode")
                    ]
                    self.events.put_events(Entries=failed)
            except (ClientError, BotoCoreError) as exc:
                raise error_from_sdk(exc, context) from exc
        return len(entries)


def _event_detail(result: StackResult, recorded: Recorded) -> dict[str, Any]:
    assert recorded.transition is not None
    drifted = result.drifted_resources
    return {
        "transition": recorded.transition.value,
        "account_id": result.account_id,
        "region": result.region,
        "stack_name": result.stack_name,
        "stack_id": result.stack_id,
        "state": result.state.value,
        "previous_state": recorded.previous_state,
        "checked_at": result.checked_at.isoformat(),
        "drift_since": recorded.drift_since.isoformat() if recorded.drift_since else None,
        "drifted_resource_count": len(drifted),
        "drifted_resources": [
            {
                "stack_name": resource.stack_name,
                "logical_resource_id": resource.logical_resource_id,
                "resource_type": resource.resource_type,
                "status": resource.status.value,
                "property_paths": [d.property_path for d in resource.differences if not d.ignored],
            }
            for resource in drifted[:_EVENT_RESOURCES]
        ],
    }


def _log_batches(lines: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    size = 0
    for timestamp, line in sorted(lines, key=lambda item: item[0]):
        cost = len(line.encode()) + 26
        if batch and (len(batch) >= _LOG_BATCH_EVENTS or size + cost > _LOG_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((timestamp, line))
        size += cost
    if batch:
        yield batch
