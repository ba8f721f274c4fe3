"""EventBridge schedule -> a run record and one SQS work item per target."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from driftwarden.runs import schedule_run
from driftwarden.settings import ScheduleSettings, settings_for
from driftwarden.wiring import home_manager, store_for, work_queue

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled_event = parse(event=event, model=EventBridgeModel)
    settings = settings_for(ScheduleSettings)
    run = schedule_run(
        run_id=f"schedule-{scheduled_event.id}",
        settings=settings,
        store=store_for(settings),
        queue=work_queue(settings.queue_url),
        organizations=home_manager().get_client("organizations", "us-east-1"),
    )
    metrics.add_metric(name="TargetsQueued", unit=MetricUnit.Count,
                       value=0 if run.already_scheduled else run.targets)  # fmt: skip
    logger.info("run scheduled", extra=run.model_dump())
    return run.model_dump()
