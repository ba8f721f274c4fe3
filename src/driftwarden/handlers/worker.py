"""SQS work items -> drift audits, with partial batch failures so only failed items return.

Metrics are the findings publisher's EMF documents, one per audited target.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from driftwarden.runs import work_on
from driftwarden.settings import WorkerSettings, settings_for
from driftwarden.wiring import drift_engine, findings_publisher, store_for, work_queue
from driftwarden.work import WorkItem

logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    item = WorkItem.model_validate_json(record.body)
    settings = settings_for(WorkerSettings)
    outcome = work_on(
        item,
        drift_engine(settings),
        store_for(settings),
        findings_publisher(settings),
        work_queue(settings.queue_url),
        remaining_seconds=lambda: lambda_context.get_remaining_time_in_millis() / 1000,
        stacks_per_message=settings.stacks_per_message,
    )
    logger.info("target audited", extra={"run_id": item.run_id, **outcome.result.summary()})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
