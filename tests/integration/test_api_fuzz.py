"""Schemathesis against docs/openapi.json, driving the API handler in process: generated
requests (valid and not) must never get a 5xx or a response that breaks the published schema."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from driftwarden.handlers import api, schedule, worker
from driftwarden.openapi import document
from emulator.lambda_runtime import LambdaContext
from tests.integration.conftest import Service, load_event

pytestmark = pytest.mark.integration

# Valid and invalid requests for each of the 8 operations: over 1,000 requests in all (GET
# /summary takes no input, so it yields just a few).
EXAMPLES_PER_MODE = 80
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


def raw_body(body: Any) -> str | None:
    """The body as API Gateway passes it: text; negative cases may be bytes or plain text."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        return body
    return json.dumps(body)


def api_gateway_event(case: Any) -> dict[str, Any]:
    query = {str(k): v if isinstance(v, list) else [v] for k, v in (case.query or {}).items()}
    query = {k: v for k, v in query.items() if v}  # a parameter without values is absent
    body = None if case.body is NOT_SET else case.body
    return {
        "httpMethod": case.method.upper(),
        "path": case.formatted_path,
        "resource": "/{proxy+}",
        "headers": {
            "Content-Type": "application/json",
            **{str(k): str(v) for k, v in (case.headers or {}).items()},
        },
        "queryStringParameters": {k: str(v[-1]) for k, v in query.items()} or None,
        "multiValueQueryStringParameters": {k: [str(i) for i in v] for k, v in query.items()}
        or None,
        "requestContext": {
            "httpMethod": case.method.upper(),
            "path": case.formatted_path,
            "stage": "fuzz",
            "requestId": "fuzz",
        },
        "body": raw_body(body),
        "isBase64Encoded": False,
    }


def as_response(case: Any, answer: dict[str, Any]) -> schemathesis.Response:
    """The handler's answer as the HTTP response API Gateway would send."""
    # API Gateway takes headers from both fields; Powertools fills multiValueHeaders.
    headers = {name: [value] for name, value in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers[name] = list(values)
    url = f"http://api.local{case.formatted_path}"
    if case.query:
        url += "?" + urlencode(case.query, doseq=True)
    return schemathesis.Response(
        status_code=answer["statusCode"],
        headers=headers,
        content=(answer.get("body") or "").encode(),
        request=requests.Request(case.method.upper(), url).prepare(),
        elapsed=0.0,
        verify=False,
    )


def fuzz(operation: Any, mode: GenerationMode, sent: dict[str, int]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        answer = api.handler(api_gateway_event(case), LambdaContext())
        sent[operation.label] = sent.get(operation.label, 0) + 1
        case.validate_response(as_response(case, answer), checks=CHECKS)

    check()


def test_no_generated_request_gets_a_5xx_or_an_off_schema_answer(service: Service) -> None:
    # Some data to read: one scheduled run, worked through.
    schedule.handler(load_event("schedule.json"), LambdaContext())
    worker.handler({"Records": service.drain()}, LambdaContext())
    schema = schemathesis.openapi.from_dict(json.loads(document()))
    sent: dict[str, int] = {}

    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err (bad schema) has no .ok(): the test fails
        fuzz(operation, GenerationMode.POSITIVE, sent)
        # An operation that takes no input (GET /summary) has no invalid request to make.
        with contextlib.suppress(Unsatisfiable):
            fuzz(operation, GenerationMode.NEGATIVE, sent)

    assert len(sent) == 9
    assert sum(sent.values()) >= 1000, sent
