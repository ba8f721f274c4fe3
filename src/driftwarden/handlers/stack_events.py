"""CloudFormation "Stack Status Change" events (from any member account, forwarded to our bus)
-> a debounced check of the stack once it has settled."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from driftwarden.runs import queue_stack_check, stack_change
from driftwarden.settings import StackEventsSettings, settings_for
from driftwarden.wiring import store_for, work_queue

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change_event = parse(event=event, model=EventBridgeModel)
    change = stack_change(change_event)
    run_id = None
    if change is not None:
        settings = settings_for(StackEventsSettings)
        run_id = queue_stack_check(
            change, change_event.id, store_for(settings), work_queue(settings.queue_url),
            settings.debounce_seconds,
        )  # fmt: skip
    metrics.add_metric(name="StackChecksQueued", unit=MetricUnit.Count, value=int(bool(run_id)))
    if change is None:
        return {"queued": False, "run_id": None, "reason": "status cannot be checked"}
    logger.info("stack change", extra={**change.model_dump(), "run_id": run_id})
    return {"queued": run_id is not None, "run_id": run_id,
            "reason": None if run_id else "debounced"}  # fmt: skip
