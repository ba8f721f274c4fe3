"""The results table, created from template.yaml's own definition, in the emulator."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from awskit.errors import InvalidInputError
from driftwarden.models import ErrorInfo, StackState, TargetResult, Transition
from driftwarden.store import MAX_DETAIL_BYTES, ResultStore
from emulator.faults import FaultInjector
from emulator.tables import create_table_from_template, table_properties
from tests.helpers import stack_result

pytestmark = pytest.mark.integration

TABLE = "driftwarden-test"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(aws_emulator: FaultInjector) -> ResultStore:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_table_from_template(client, TABLE)
    return ResultStore(TABLE, client, clock=lambda: NOW)


def day(n: int) -> str:
    return f"2026-11-{n:02d}T10:00:00+00:00"


def test_the_table_has_the_templates_keys_indexes_and_ttl(store: ResultStore) -> None:
    description = store.client.describe_table(TableName=TABLE)["Table"]
    template = table_properties("DriftTable")
    assert description["KeySchema"] == template["KeySchema"]
    assert {i["IndexName"] for i in description["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    ttl = store.client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_latest_and_history_with_transitions(store: ResultStore) -> None:
    first = store.record(stack_result("DRIFTED", drifted={"Queue": "120"}, checked_at=day(1)))
    same = store.record(stack_result("DRIFTED", drifted={"Queue": "120"}, checked_at=day(2)))
    resolved = store.record(stack_result("IN_SYNC", checked_at=day(3)))

    assert [first.transition, same.transition, resolved.transition] == [
        Transition.NEW, None, Transition.RESOLVED
    ]  # fmt: skip
    latest = store.latest("111111111111", "eu-west-1", "app")
    assert latest is not None
    assert latest.result.state is StackState.IN_SYNC
    assert latest.transition is Transition.RESOLVED
    history, cursor = store.history("111111111111", "eu-west-1", "app", limit=2)
    assert [c.result.checked_at.day for c in history] == [3, 2]  # newest first
    assert cursor is not None
    rest, end = store.history("111111111111", "eu-west-1", "app", limit=2, cursor=cursor)
    assert [c.result.checked_at.day for c in rest] == [1]
    assert end is None
    assert rest[0].result.drifted_resources[0].differences[0].actual_value == "120"


def test_history_items_expire_and_latest_does_not(store: ResultStore) -> None:
    store.record(stack_result(checked_at=day(1)))
    items = store.client.scan(TableName=TABLE)["Items"]
    by_sort_key = {item["SK"]["S"]: item for item in items}
    history = by_sort_key[
        f"CHECK#{datetime.fromisoformat(day(1)).isoformat(timespec='microseconds')}"
    ]
    assert int(history["expires_at"]["N"]) == int(datetime(2027, 1, 30, 10, tzinfo=UTC).timestamp())
    assert "expires_at" not in by_sort_key["LATEST"]


def test_an_older_result_never_replaces_a_newer_one(store: ResultStore) -> None:
    store.record(stack_result("DRIFTED", drifted={"Queue": "120"}, checked_at=day(5)))
    late = store.record(stack_result("IN_SYNC", checked_at=day(4)))  # arrives late

    assert late.replaced_latest is False
    assert late.transition is None
    latest = store.latest("111111111111", "eu-west-1", "app")
    assert latest is not None
    assert latest.result.state is StackState.DRIFTED
    history, _ = store.history("111111111111", "eu-west-1", "app")
    assert len(history) == 2  # the late check is still in the history


def test_lists_by_state_and_by_account_page_without_scanning(store: ResultStore) -> None:
    for number in range(5):
        store.record(stack_result("DRIFTED", stack_name=f"d{number}", drifted={"Q": "1"}))
    store.record(stack_result("IN_SYNC", stack_name="clean"))
    store.record(stack_result("IN_SYNC", stack_name="other", account_id="222222222222"))

    first = store.list_by_state(StackState.DRIFTED, limit=3)
    second = store.list_by_state(StackState.DRIFTED, limit=3, cursor=first.cursor)
    names = [i["stack_name"] for i in first.items + second.items]
    assert names == ["d0", "d1", "d2", "d3", "d4"]
    assert (
        second.cursor is None
        or store.list_by_state(StackState.DRIFTED, cursor=second.cursor).items == []
    )
    account = store.list_by_account("111111111111", limit=50)
    assert {i["stack_name"] for i in account.items} == {"d0", "d1", "d2", "d3", "d4", "clean"}
    assert store.list_by_account("111111111111", region="us-east-1").items == []


def test_a_forged_cursor_is_a_clear_client_error(store: ResultStore) -> None:
    with pytest.raises(InvalidInputError, match="cursor"):
        store.list_by_state(StackState.DRIFTED, cursor="not-a-cursor!")


def test_a_huge_result_is_compressed_then_trimmed_with_a_marker(store: ResultStore) -> None:
    # 1,500 drifted resources with 2 KB of random values each: no compression saves that
    noise = random.Random(7)
    drifted = {f"Queue{n:04d}": noise.randbytes(1000).hex() for n in range(1500)}
    result = stack_result("DRIFTED", drifted=drifted, checked_at=day(1))
    assert len(result.model_dump_json()) > 5 * MAX_DETAIL_BYTES

    recorded = store.record(result)

    assert recorded.replaced_latest
    assert recorded.transition is Transition.NEW
    stored = store.latest("111111111111", "eu-west-1", "app")
    assert stored is not None
    assert stored.truncated is not None
    assert stored.truncated["resources_total"] == 1500
    assert 0 < stored.truncated["resources_kept"] < 1500
    assert len(stored.result.resources) == stored.truncated["resources_kept"]
    assert stored.result.coverage == result.coverage  # counts survive the trim


def test_a_large_but_compressible_result_is_stored_whole(store: ResultStore) -> None:
    drifted = {f"Queue{n:04d}": "same-value" * 50 for n in range(1500)}
    result = stack_result("DRIFTED", drifted=drifted, checked_at=day(1))
    assert len(result.model_dump_json()) > MAX_DETAIL_BYTES

    store.record(result)

    stored = store.latest("111111111111", "eu-west-1", "app")
    assert stored is not None
    assert stored.truncated is None
    assert stored.result == result


def target_result(account: str, *, continuation: list[str] | None = None) -> TargetResult:
    return TargetResult(
        account_id=account, region="eu-west-1", started_at=NOW, finished_at=NOW,
        stacks=[stack_result(account_id=account)], continuation=continuation or [],
    )  # fmt: skip


def test_a_run_completes_when_every_target_is_done_not_when_continued(
    store: ResultStore,
) -> None:
    store.start_run("run-1", target_count=2, trigger="schedule")
    store.record_target("run-1", target_result("111111111111", continuation=["app"]), queued=1)
    assert store.record_target("run-1", target_result("222222222222"))["status"] == "RUNNING"
    final: dict[str, Any] = store.record_target("run-1", target_result("111111111111"))
    assert final["status"] == "COMPLETED"
    assert final["targets_done"] == 2
    # A redelivered target message does not count twice
    assert store.record_target("run-1", target_result("222222222222"))["targets_done"] == 2

    run = store.get_run("run-1")
    assert run is not None
    assert {t["account_id"]: t["status"] for t in run["targets"]} == {
        "111111111111": "DONE", "222222222222": "DONE"
    }  # fmt: skip
    assert [r["run_id"] for r in store.list_runs().items] == ["run-1"]
    with pytest.raises(InvalidInputError):
        store.start_run("run-1", target_count=1, trigger="api")


def test_a_target_that_failed_for_now_counts_once_it_succeeds(store: ResultStore) -> None:
    store.start_run("run-2", target_count=1, trigger="schedule")
    throttled = target_result("111111111111").model_copy(update={"stacks": [], "error": ErrorInfo(
        category="RESOURCE_LIMIT", severity="WARNING", message="Rate exceeded", retryable=True
    )})  # fmt: skip

    assert store.record_target("run-2", throttled)["status"] == "RUNNING"
    assert store.record_target("run-2", target_result("111111111111"))["status"] == "COMPLETED"


def test_a_target_split_into_batches_is_done_when_every_batch_is(store: ResultStore) -> None:
    store.start_run("run-3", target_count=1, trigger="schedule")
    big = target_result("111111111111", continuation=["b", "c", "d"])
    assert store.record_target("run-3", big, queued=3)["status"] == "RUNNING"  # 3 batches out
    assert store.record_target("run-3", target_result("111111111111"))["status"] == "RUNNING"
    assert store.record_target("run-3", target_result("111111111111"))["status"] == "RUNNING"
    final = store.record_target("run-3", target_result("111111111111"))
    assert (final["status"], final["targets_done"]) == ("COMPLETED", 1)
    run = store.get_run("run-3")
    assert run is not None
    [target] = run["targets"]
    assert (target["status"], target["stacks"], target["pending"]) == ("DONE", 4, 0)
