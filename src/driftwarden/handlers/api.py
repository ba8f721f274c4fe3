"""The HTTP API (API Gateway REST, AWS_IAM auth): read results, request checks.

Routes validate their input (Powertools validation, 422 with the published error shape); domain
errors map to HTTP in one place (`errors` below). Reads are DynamoDB Queries, never Scans.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from awskit.errors import AwsKitError, InvalidInputError, ResourceNotFoundError
from driftwarden.api_models import (
    ACCOUNT_ID,
    REGION,
    STACK_NAME,
    CheckAccepted,
    CheckRequest,
    ErrorBody,
    ErrorResponse,
    HistoryPage,
    Run,
    RunPage,
    StackCheck,
    StackPage,
    StackSummary,
    Summary,
)
from driftwarden.models import StackState
from driftwarden.report.data import report_from_store
from driftwarden.report.page import CONTENT_SECURITY_POLICY, render_report_within
from driftwarden.settings import ApiSettings, settings_for
from driftwarden.store import ResultStore, StoredCheck, timestamp
from driftwarden.wiring import idempotency, result_store, store_for, work_queue
from driftwarden.work import WorkItem

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver(enable_validation=True)

AccountId = Annotated[str, Path(pattern=ACCOUNT_ID)]
RegionName = Annotated[str, Path(pattern=REGION)]
StackName = Annotated[str, Path(pattern=STACK_NAME)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]


def _store() -> ResultStore:
    return store_for(settings_for(ApiSettings))


def _check(stored: StoredCheck) -> StackCheck:
    return StackCheck(
        result=stored.result,
        transition=stored.transition,
        drift_since=timestamp(stored.drift_since) if stored.drift_since else None,
        run_id=stored.run_id,
        truncated=stored.truncated,
    )


# --- errors: one map ------------------------------------------------------------------------------


def _error(status: int, error: AwsKitError) -> Response[str]:
    body = ErrorResponse(error=ErrorBody(category=error.category.value, message=error.message,
                                         suggestions=list(error.suggestions)))  # fmt: skip
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump_json())  # fmt: skip


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    """422 in the published HTTPValidationError shape (Powertools' own body leaves out the
    required "msg"; the API fuzz test found it)."""
    detail = [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg") or str(e.get("type", "invalid value")).replace("_", " ")),
            "type": str(e.get("type", "value_error")),
        }
        for e in error.errors()
    ]
    return Response(status_code=422, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps({"detail": detail}))  # fmt: skip


@app.exception_handler(InvalidInputError)
def _bad_request(error: InvalidInputError) -> Response[str]:
    return _error(400, error)


@app.exception_handler(ResourceNotFoundError)
def _not_found(error: ResourceNotFoundError) -> Response[str]:
    return _error(404, error)


@app.exception_handler(AwsKitError)
def _dependency_failed(error: AwsKitError) -> Response[str]:
    logger.error("request failed", extra=error.to_dict())
    return _error(503, error)


ERRORS: dict[int, OpenAPIResponse] = {
    status: {"description": text, "content": {"application/json": {"model": ErrorResponse}}}
    for status, text in ((400, "Bad request"), (404, "Not found"),
                         (503, "AWS was unavailable; try again"))
}  # fmt: skip


def responses(model: type[Any], status: int = 200) -> dict[int, OpenAPIResponse]:
    ok: OpenAPIResponse = {"description": "OK" if status == 200 else "Accepted",
                           "content": {"application/json": {"model": model}}}  # fmt: skip
    return {status: ok, **ERRORS}


# --- stacks --------------------------------------------------------------------------------------


@app.get("/stacks", responses=responses(StackPage))
def list_stacks(
    state: Annotated[StackState | None, Query()] = None,
    account: Annotated[str | None, Query(pattern=ACCOUNT_ID)] = None,
    region: Annotated[str | None, Query(pattern=REGION)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> StackPage:
    """Latest results by state, or by account (and region); one filter is required."""
    store = _store()
    if account:
        page = store.list_by_account(account, limit, cursor, region=region)
        items = [i for i in page.items if state is None or i["state"] == state.value]
    elif state:
        page = store.list_by_state(state, limit, cursor)
        items = [i for i in page.items if region is None or i["region"] == region]
    else:
        raise InvalidInputError(
            "give ?state= or ?account= (stacks are listed by state or by account)",
            suggestions=["GET /stacks?state=DRIFTED", "GET /stacks?account=111111111111"],
        )
    return StackPage(items=[StackSummary.model_validate(i) for i in items], cursor=page.cursor)


@app.get("/stacks/<account>/<region>/<stack>", responses=responses(StackCheck))
def get_stack(account: AccountId, region: RegionName, stack: StackName) -> StackCheck:
    stored = _store().latest(account, region, stack)
    if stored is None:
        raise ResourceNotFoundError(f"no check of {account}/{region}/{stack} yet",
                                    suggestions=["POST /checks to check it now."])  # fmt: skip
    return _check(stored)


@app.get("/stacks/<account>/<region>/<stack>/history", responses=responses(HistoryPage))
def get_history(
    account: AccountId, region: RegionName, stack: StackName, limit: Limit = 20,
    cursor: Cursor = None,
) -> HistoryPage:  # fmt: skip
    checks, next_cursor = _store().history(account, region, stack, limit, cursor)
    return HistoryPage(items=[_check(c) for c in checks], cursor=next_cursor)


# --- checks and runs -----------------------------------------------------------------------------


def _check_creator(table_name: str, queue_url: str) -> Any:
    """POST /checks' work, made idempotent per request body (the persistence layer behind it
    is built once, in wiring)."""
    persistence, config = idempotency(table_name, settings_for(ApiSettings).idempotency_hours)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence,
                         config=config)  # fmt: skip
    def create_check(request: CheckRequest) -> dict[str, str]:
        check_id = f"check-{uuid.uuid4().hex}"
        result_store(table_name).start_run(check_id, target_count=1, trigger="api")
        work_queue(queue_url).send([WorkItem(
            run_id=check_id, account_id=request.account_id, region=request.region,
            stack_names=tuple(request.stack_names),
        )])  # fmt: skip
        return {"check_id": check_id}

    return create_check


@app.post("/checks", responses=responses(CheckAccepted, 202))
def post_check(request: CheckRequest) -> Response[CheckAccepted]:
    """Queue a check; the same request within the idempotency window returns the same id."""
    settings = settings_for(ApiSettings)
    created = _check_creator(settings.table_name, settings.queue_url)(request=request)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON,
                    body=CheckAccepted(check_id=created["check_id"]))  # fmt: skip


def _run(run_id: str) -> Run:
    run = _store().get_run(run_id)
    if run is None:
        raise ResourceNotFoundError(f"no run or check {run_id}")
    return Run.model_validate(run)


@app.get("/checks/<check_id>", responses=responses(Run))
def get_check(check_id: Annotated[str, Path(max_length=128)]) -> Run:
    return _run(check_id)


@app.get("/runs", responses=responses(RunPage))
def list_runs(limit: Limit = 20, cursor: Cursor = None) -> RunPage:
    page = _store().list_runs(limit, cursor)
    return RunPage(items=[Run.model_validate(i) for i in page.items], cursor=page.cursor)


@app.get("/runs/<run_id>", responses=responses(Run))
def get_run(run_id: Annotated[str, Path(max_length=128)]) -> Run:
    return _run(run_id)


@app.get("/summary", responses=responses(Summary))
def get_summary() -> Summary:
    return Summary(stacks_by_state=_store().count_by_state())


# --- the report -----------------------------------------------------------------------------------

REPORT_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@app.get("/report", responses={200: {"description": "The drift report: one self-contained "
                                      "HTML page (no scripts, no requests)",
                                      "content": {"text/html": {"schema": {"type": "string"}}}},
                                **ERRORS})  # fmt: skip
def get_report(
    account: Annotated[str | None, Query(pattern=ACCOUNT_ID)] = None,
    region: Annotated[str | None, Query(pattern=REGION)] = None,
    redact_values: Annotated[bool, Query()] = False,
) -> Response[str]:
    """The drift report of the latest results, worst stacks first (as `driftwarden report`)."""
    settings = settings_for(ApiSettings)
    report = report_from_store(_store(), datetime.now(UTC), account=account, region=region,
                               max_stacks=settings.report_max_stacks)  # fmt: skip
    page = render_report_within(report, settings.report_max_bytes, redact_values=redact_values)
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=page,
                    headers=REPORT_HEADERS)  # fmt: skip


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("httpMethod") == "POST":
        # Idempotency keeps an in-progress record only as long as this invocation may run.
        settings = settings_for(ApiSettings)
        _, config = idempotency(settings.table_name, settings.idempotency_hours)
        config.register_lambda_context(context)
    return app.resolve(event, context)


def openapi_json() -> str:
    return app.get_openapi_json_schema(
        title="driftwarden", version="1.0.0",
        description="CloudFormation drift across accounts and regions. Every route needs "
        "AWS_IAM (SigV4) authorisation.",
    )  # fmt: skip
