"""The API handler, driven by the events/ samples and by bad input, in process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from driftwarden.api_models import (
    CheckAccepted,
    ErrorResponse,
    HistoryPage,
    Run,
    RunPage,
    StackCheck,
    StackPage,
    Summary,
)
from driftwarden.handlers import api, schedule, worker
from driftwarden.openapi import document
from emulator.lambda_runtime import LambdaContext, api_gateway_event
from tests.integration.conftest import EVENTS, Service, load_event

pytestmark = pytest.mark.integration


def call(event: dict[str, Any]) -> tuple[int, Any]:
    response = api.handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def request(method: str, path: str, query: dict[str, str] | None = None,
            body: Any = None) -> tuple[int, Any]:  # fmt: skip
    return call(api_gateway_event(method, path, query, body))


@pytest.fixture
def audited(service: Service) -> Service:
    """One scheduled run, worked through: member 1 has a drifted stack 'orders'."""
    schedule.handler(load_event("schedule.json"), LambdaContext())
    worker.handler({"Records": service.drain()}, LambdaContext())
    return service


@pytest.mark.parametrize(
    ("event", "status", "model"),
    [
        ("api_list_stacks.json", 200, StackPage),
        ("api_get_stack.json", 200, StackCheck),
        ("api_get_history.json", 200, HistoryPage),
        ("api_list_runs.json", 200, RunPage),
        ("api_get_run.json", 200, Run),
        ("api_summary.json", 200, Summary),
        ("api_get_check.json", 404, ErrorResponse),  # no such check in this table
        ("api_post_check.json", 202, CheckAccepted),
    ],
)
def test_every_sample_event_answers_with_its_documented_body(
    audited: Service, event: str, status: int, model: type[Any]
) -> None:
    got_status, body = call(load_event(event))
    assert got_status == status
    model.model_validate(body)


def test_what_the_reads_return(audited: Service) -> None:
    _, page = call(load_event("api_list_stacks.json"))
    assert [(i["stack_name"], i["state"]) for i in page["items"]] == [("orders", "DRIFTED")]
    _, stack = call(load_event("api_get_stack.json"))
    [queue] = stack["result"]["resources"]
    assert queue["differences"][0]["actual_value"] == "120"
    assert stack["transition"] == "NEW"
    _, summary = call(load_event("api_summary.json"))
    assert summary["stacks_by_state"]["DRIFTED"] == 1
    _, run = call(load_event("api_get_run.json"))
    assert run["status"] == "COMPLETED"
    assert len(run["targets"]) == 2


def test_the_report_is_one_self_contained_html_page_of_the_latest_results(
    audited: Service,
) -> None:
    response = api.handler(load_event("api_get_report.json"), LambdaContext())

    assert response["statusCode"] == 200
    headers = {k: v[0] for k, v in response["multiValueHeaders"].items()}
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = response["body"]
    assert page.startswith("<!doctype html>")
    assert 'id="s-111111111111-eu-west-1-orders" data-state="DRIFTED"' in page
    assert "<code>/VisibilityTimeout</code>" in page
    assert "<td>60</td><td>120</td>" in page
    assert "222222222222" not in page  # ?account= kept only member 1
    assert "<script" not in page
    assert re.findall(r'(?:src|href)="([^#][^"]*)"', page) == []  # nothing fetched or left to


def test_the_report_leaves_values_out_when_asked(audited: Service) -> None:
    event = load_event("api_get_report.json")
    event["queryStringParameters"]["redact_values"] = "true"
    event["multiValueQueryStringParameters"]["redact_values"] = ["true"]

    page = api.handler(event, LambdaContext())["body"]

    assert "<code>/VisibilityTimeout</code>" in page
    assert "<td>(redacted)</td><td>(redacted)</td>" in page
    assert "<td>120</td>" not in page


def test_posting_the_same_check_twice_queues_it_once(audited: Service) -> None:
    first_status, first = call(load_event("api_post_check.json"))
    second_status, second = call(load_event("api_post_check.json"))

    assert (first_status, second_status) == (202, 202)
    assert first["check_id"] == second["check_id"]
    assert len(audited.drain()) == 1
    status, check = request("GET", f"/checks/{first['check_id']}")
    assert status == 200
    assert check["trigger"] == "api"


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "status"),
    [
        ("GET", "/stacks", None, None, 400),  # no filter
        ("GET", "/stacks", {"state": "SIDEWAYS"}, None, 422),
        ("GET", "/stacks", {"state": "DRIFTED", "limit": "0"}, None, 422),
        ("GET", "/stacks", {"state": "DRIFTED", "cursor": "%%%not-ours"}, None, 400),
        ("GET", "/stacks/12345/eu-west-1/orders", None, None, 422),
        ("GET", "/stacks/111111111111/eu-west-1/nothing-here", None, None, 404),
        ("POST", "/checks", None, {"account_id": "1", "region": "eu-west-1"}, 422),
        (
            "POST",
            "/checks",
            None,
            {"account_id": "111111111111", "region": "eu-west-1", "extra": True},
            422,
        ),
        ("GET", "/report", {"account": "12"}, None, 422),
        ("GET", "/report", {"region": "Mars"}, None, 422),
        ("GET", "/nowhere", None, None, 404),
    ],
)
def test_bad_input_is_a_clear_4xx(
    service: Service, method: str, path: str, query: dict[str, str] | None, body: Any,
    status: int,
) -> None:  # fmt: skip
    got_status, answer = request(method, path, query, body)
    assert got_status == status
    if status in (400, 404) and path != "/nowhere":
        assert ErrorResponse.model_validate(answer).error.message


def test_the_committed_openapi_document_is_current() -> None:
    committed = (EVENTS.parent / "docs" / "openapi.json").read_text()
    assert committed == document(), "docs/openapi.json is stale: run `make openapi`"


def test_every_documented_operation_has_a_sample_event() -> None:
    samples = [json.loads(p.read_text()) for p in Path(EVENTS).glob("api_*.json")]
    operations = [
        (method.upper(), re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"))
        for path, item in json.loads(document())["paths"].items()
        for method in item
    ]
    assert len(operations) == 9
    for method, pattern in operations:
        assert any(e["httpMethod"] == method and pattern.match(e["path"]) for e in samples), (
            f"no events/api_*.json for {method} {pattern.pattern}"
        )
