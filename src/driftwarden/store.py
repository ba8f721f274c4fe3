"""Results in one DynamoDB table: the latest check per stack, its history, and run records.

Keys (template.yaml's DriftTable; docs/storage.md):
- latest:  PK STACK#<account>#<region>#<stack>, SK LATEST; GSI1 STATE#<state> and GSI2
  ACCOUNT#<account> list them without a Scan.
- history: same PK, SK CHECK#<checked_at>, expiring (TTL attribute expires_at).
- runs:    PK RUN#<run_id>, SK META (GSI1 RUNS, newest first) and SK TARGET#<account>#<region>.

The latest item is written on condition that it is older than the new result, so a late,
older result never replaces a newer one. A result too large for an item (400 KB) is stored
compressed, and if still too large, trimmed with a marker saying what was left out.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from awskit.errors import InvalidInputError
from awskit.services.base import has_error_code
from driftwarden.models import StackResult, StackState, TargetResult, Transition
from driftwarden.transitions import DriftMemory, drift_change

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Room for keys and summary attributes under DynamoDB's 400 KB item limit.
MAX_DETAIL_BYTES = 350_000
_CONDITION_RETRIES = 3
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def timestamp(moment: datetime) -> str:
    """One fixed ISO format, so stored timestamps sort and compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def stack_key(account_id: str, region: str, stack_name: str) -> str:
    return f"STACK#{account_id}#{region}#{stack_name}"


@dataclass
class StoredCheck:
    """A check as stored: the result (perhaps trimmed) and what the store added to it."""

    result: StackResult
    transition: Transition | None
    drift_since: datetime | None
    run_id: str | None
    truncated: dict[str, int] | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


@dataclass
class Recorded:
    """What record() did: the transition (None when nothing changed, or the result was older
    than the stored one) and whether the latest item was replaced."""

    transition: Transition | None
    replaced_latest: bool
    previous_state: str | None = None
    drift_since: datetime | None = None
    truncated: dict[str, int] | None = field(default=None)


# --- encoding ----------------------------------------------------------------------------------


def encode_detail(result: StackResult) -> tuple[dict[str, Any], dict[str, int] | None]:
    """The result as item attributes: JSON, gzip'd JSON when large, trimmed when still too
    large (drifted resources are kept first; the marker says how many were kept)."""
    text = result.model_dump_json().encode()
    if len(text) <= MAX_DETAIL_BYTES:
        return {"detail": text.decode()}, None
    packed = gzip.compress(text)
    if len(packed) <= MAX_DETAIL_BYTES:
        return {"detail_gz": Binary(packed)}, None
    ordered = sorted(result.resources, key=lambda r: not r.drifted)
    low, high = 0, len(ordered)
    while low < high:  # the most resources that still fit
        middle = (low + high + 1) // 2
        candidate = result.model_copy(update={"resources": ordered[:middle]})
        if len(gzip.compress(candidate.model_dump_json().encode())) <= MAX_DETAIL_BYTES:
            low = middle
        else:
            high = middle - 1
    trimmed = result.model_copy(update={"resources": ordered[:low]})
    marker = {"resources_total": len(ordered), "resources_kept": low}
    return {"detail_gz": Binary(gzip.compress(trimmed.model_dump_json().encode()))}, marker


def decode_detail(item: Mapping[str, Any]) -> StackResult:
    if "detail_gz" in item:
        raw = item["detail_gz"]  # boto3 deserialises B as Binary; bytes() unwraps it
        return StackResult.model_validate_json(gzip.decompress(bytes(raw)))
    return StackResult.model_validate_json(item["detail"])


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    plain = {name: _deserializer.deserialize(value) for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            "the cursor is not one this API returned",
            suggestions=["Pass the `cursor` value of the previous page unchanged."],
        ) from exc
    if not isinstance(plain, dict) or not all(isinstance(v, str) for v in plain.values()):
        raise InvalidInputError("the cursor is not one this API returned")
    return {name: _serializer.serialize(value) for name, value in plain.items()}


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- the store ---------------------------------------------------------------------------------


class ResultStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        history_days: int = 90,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.table_name = table_name
        self.client = client
        self.history_days = history_days
        self._clock = clock

    # --- stack results --------------------------------------------------------------------------

    def record(self, result: StackResult, run_id: str | None = None) -> Recorded:
        """Store a check: always in the history, and as the latest unless a newer one is
        there already. Returns the drift transition it caused."""
        detail, truncated = encode_detail(result)
        key = stack_key(*result.key)
        checked_at = timestamp(result.checked_at)
        self._put_history(result, key, checked_at, detail, run_id)
        for _ in range(_CONDITION_RETRIES):
            previous = self._get(key, "LATEST")
            if previous is not None and previous["checked_at"] >= checked_at:
                return Recorded(None, replaced_latest=False, previous_state=previous["state"])
            memory = _memory(previous)
            change = drift_change(memory, result)
            item = {
                "PK": key,
                "SK": "LATEST",
                "GSI1PK": f"STATE#{result.state.value}",
                "GSI1SK": f"{result.account_id}#{result.region}#{result.stack_name}",
                "GSI2PK": f"ACCOUNT#{result.account_id}",
                "GSI2SK": f"{result.region}#{result.stack_name}",
                **_summary(result, checked_at, run_id),
                "transition": change.transition.value if change.transition else None,
                "drifted": change.memory.drifted,
                "fingerprint": change.memory.fingerprint,
                "ever_drifted": change.memory.ever_drifted,
                "drift_since": timestamp(change.memory.drift_since)
                if change.memory.drift_since
                else None,
                "truncated": truncated,
                **detail,
            }
            # Optimistic: replace exactly what was read, so two writers cannot interleave.
            condition = (
                {"ConditionExpression": "attribute_not_exists(PK)"}
                if previous is None
                else {
                    "ConditionExpression": "checked_at = :seen",
                    "ExpressionAttributeValues": _item({":seen": previous["checked_at"]}),
                }
            )
            try:
                self.client.put_item(TableName=self.table_name, Item=_item(item), **condition)
            except self.client.exceptions.ConditionalCheckFailedException:
                continue
            return Recorded(
                change.transition,
                replaced_latest=True,
                previous_state=previous["state"] if previous else None,
                drift_since=change.memory.drift_since,
                truncated=truncated,
            )
        return Recorded(None, replaced_latest=False)

    def _put_history(
        self,
        result: StackResult,
        key: str,
        checked_at: str,
        detail: dict[str, Any],
        run_id: str | None,
    ) -> None:
        expires = result.checked_at + timedelta(days=self.history_days)
        item = {
            "PK": key,
            "SK": f"CHECK#{checked_at}",
            **_summary(result, checked_at, run_id),
            "expires_at": int(expires.timestamp()),
            **detail,
        }
        # A retried write of the same check adds nothing.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(
                TableName=self.table_name,
                Item=_item(item),
                ConditionExpression="attribute_not_exists(SK)",
            )

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=_item({"PK": pk, "SK": sk}), ConsistentRead=True
        )
        return _plain(response["Item"]) if "Item" in response else None

    def latest(self, account_id: str, region: str, stack_name: str) -> StoredCheck | None:
        item = self._get(stack_key(account_id, region, stack_name), "LATEST")
        return _stored(item) if item else None

    def history(
        self,
        account_id: str,
        region: str,
        stack_name: str,
        limit: int = 20,
        cursor: str | None = None,
    ) -> tuple[list[StoredCheck], str | None]:
        """Checks of a stack, newest first."""
        params = self._checks_query(account_id, region, stack_name, limit)
        start = decode_cursor(cursor)
        if start:
            params["ExclusiveStartKey"] = start
        response = self.client.query(**params)
        checks = [_stored(_plain(item)) for item in response.get("Items", [])]
        return checks, encode_cursor(response.get("LastEvaluatedKey"))

    def timeline(
        self, account_id: str, region: str, stack_name: str, limit: int = 30
    ) -> list[dict[str, Any]]:
        """The newest `limit` checks of a stack as points (when, state, drifted resources),
        newest first; the details stay in the table."""
        response = self.client.query(
            **self._checks_query(account_id, region, stack_name, limit),
            ProjectionExpression="checked_at, #s, drifted_resources",
            ExpressionAttributeNames={"#s": "state"},
        )
        return [_public(_plain(item)) for item in response.get("Items", [])]

    def _checks_query(
        self, account_id: str, region: str, stack_name: str, limit: int
    ) -> dict[str, Any]:
        """Query parameters for a stack's CHECK# items, newest first."""
        return {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :check)",
            "ExpressionAttributeValues": _item(
                {":pk": stack_key(account_id, region, stack_name), ":check": "CHECK#"}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }

    def latest_summaries(self, account: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stack's latest summary (all pages), of one account or of all (by state)."""
        partitions = (
            [("GSI2", "GSI2PK", f"ACCOUNT#{account}")]
            if account
            else [("GSI1", "GSI1PK", f"STATE#{state.value}") for state in StackState]
        )
        for index, attribute, partition in partitions:
            cursor = None
            while True:
                page = self._query_index(index, attribute, partition, 1000, cursor)
                yield from page.items
                cursor = page.cursor
                if cursor is None:
                    break

    def list_by_state(self, state: StackState, limit: int = 50, cursor: str | None = None) -> Page:
        return self._query_index("GSI1", "GSI1PK", f"STATE#{state.value}", limit, cursor)

    def list_by_account(
        self, account_id: str, limit: int = 50, cursor: str | None = None, region: str | None = None
    ) -> Page:
        prefix = f"{region}#" if region else None
        return self._query_index("GSI2", "GSI2PK", f"ACCOUNT#{account_id}", limit, cursor, prefix)

    def _query_index(
        self,
        index: str,
        partition_attribute: str,
        partition: str,
        limit: int,
        cursor: str | None,
        sort_prefix: str | None = None,
        newest_first: bool = False,
    ) -> Page:
        sort_attribute = partition_attribute.replace("PK", "SK")
        condition = f"{partition_attribute} = :p"
        values: dict[str, Any] = {":p": partition}
        if sort_prefix:
            condition += f" AND begins_with({sort_attribute}, :s)"
            values[":s"] = sort_prefix
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": _item(values),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        start = decode_cursor(cursor)
        if start:
            params["ExclusiveStartKey"] = start
        response = self.client.query(**params)
        items = [_public(_plain(item)) for item in response.get("Items", [])]
        return Page(items, encode_cursor(response.get("LastEvaluatedKey")))

    # --- debounce -------------------------------------------------------------------------------

    def claim_debounce(self, key: tuple[str, ...], *, until: datetime, now: datetime) -> bool:
        """True for the first claim of a stack within a window (a conditional write), False
        while an earlier claim has not expired."""
        item = {"PK": f"DEBOUNCE#{'#'.join(key)}", "SK": "DEBOUNCE",
                "until": timestamp(until), "expires_at": int(until.timestamp()) + 3600}  # fmt: skip
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_item(item),
                ConditionExpression="attribute_not_exists(PK) OR #u < :now",
                ExpressionAttributeNames={"#u": "until"},
                ExpressionAttributeValues=_item({":now": timestamp(now)}),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def count_by_state(self) -> dict[str, int]:
        """How many stacks are in each state (Query with Select=COUNT per state, paginated)."""
        counts = {}
        for state in StackState:
            total = 0
            params: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": "GSI1",
                "KeyConditionExpression": "GSI1PK = :p",
                "ExpressionAttributeValues": _item({":p": f"STATE#{state.value}"}),
                "Select": "COUNT",
            }
            while True:
                response = self.client.query(**params)
                total += response["Count"]
                if "LastEvaluatedKey" not in response:
                    break
                params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            counts[state.value] = total
        return counts

    # --- runs -----------------------------------------------------------------------------------

    def start_run(self, run_id: str, target_count: int, trigger: str) -> None:
        started_at = timestamp(self._clock())
        item = {
            "PK": f"RUN#{run_id}",
            "SK": "META",
            "GSI1PK": "RUNS",
            "GSI1SK": f"{started_at}#{run_id}",
            "run_id": run_id,
            "trigger": trigger,
            "status": "RUNNING",
            "started_at": started_at,
            "target_count": target_count,
            "targets_done": 0,
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_item(item),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise InvalidInputError(f"run {run_id} exists already") from exc

    def record_target(self, run_id: str, result: TargetResult, queued: int = 0) -> dict[str, Any]:
        """Store one work item's progress on its target in the run; returns the run's record.

        `queued` is how many work items this one handed on (its continuation, perhaps split
        into batches). A target is done when every item of it has finished: each item counts
        +queued-1 on the target's `pending` (which starts at 1). An item that failed for a
        reason that may pass is coming back (RETRYING) and counts nothing. Counts of stacks add
        up across a target's items."""
        retrying = result.error is not None and result.error.retryable
        summary = result.summary()
        counts = {name: summary[name] for name in ("stacks", *StackState.__members__)}
        values: dict[str, Any] = {
            ":status": "RETRYING" if retrying else ("CONTINUED" if queued else "DONE"),
            ":updated": timestamp(result.finished_at),
            ":account": result.account_id,
            ":region": result.region,
            ":error": result.error.model_dump() if result.error else None,
            ":one": 1,
            ":delta": 0 if retrying else queued - 1,
            ":skipped": [] if retrying else [s.model_dump() for s in result.skipped],
            ":empty": [],
        }
        update = (
            "SET #s = :status, updated_at = :updated, account_id = :account, #r = :region, "
            "error_detail = :error, pending = if_not_exists(pending, :one) + :delta, "
            "skipped_stacks = list_append(if_not_exists(skipped_stacks, :empty), :skipped)"
        )
        if not retrying:
            adds = {**counts, "api_calls": result.api_calls,
                    "throttled_calls": result.throttled_calls}  # fmt: skip
            update += " ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(adds)))
            values.update({f":c{i}": value for i, value in enumerate(adds.values())})
        names = {"#s": "status", "#r": "region"}
        if not retrying:
            names.update({f"#c{i}": name for i, name in enumerate(adds)})
        key = _item({"PK": f"RUN#{run_id}", "SK": f"TARGET#{result.account_id}#{result.region}"})
        target = _plain(self.client.update_item(
            TableName=self.table_name, Key=key, UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={k: _serializer.serialize(v) for k, v in values.items()},
            ReturnValues="ALL_NEW",
        )["Attributes"])  # fmt: skip
        if retrying or target["pending"] > 0 or not self._mark_target_done(key, result):
            return _public(self._get(f"RUN#{run_id}", "META") or {})
        response = self.client.update_item(
            TableName=self.table_name,
            Key=_item({"PK": f"RUN#{run_id}", "SK": "META"}),
            UpdateExpression="ADD targets_done :one",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=_item({":one": 1}),
            ReturnValues="ALL_NEW",
        )
        meta = _plain(response["Attributes"])
        if meta["targets_done"] >= meta["target_count"] and meta["status"] == "RUNNING":
            meta = self._finish_run(run_id)
        return _public(meta)

    def _mark_target_done(self, key: dict[str, Any], result: TargetResult) -> bool:
        """Set the target's final status once; False when it was already counted."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=key,
                UpdateExpression="SET #s = :final, counted = :yes",
                ConditionExpression="attribute_not_exists(counted)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {":final": "FAILED" if result.error else "DONE", ":yes": True}
                ),
            )  # fmt: skip
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _finish_run(self, run_id: str) -> dict[str, Any]:
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=_item({"PK": f"RUN#{run_id}", "SK": "META"}),
                UpdateExpression="SET #s = :done, finished_at = :now",
                ConditionExpression="#s = :running",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {":done": "COMPLETED", ":running": "RUNNING", ":now": timestamp(self._clock())}
                ),
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if has_error_code(exc, "ConditionalCheckFailedException"):
                return self._get(f"RUN#{run_id}", "META") or {}
            raise
        return _plain(response["Attributes"])

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run's record with its targets' progress."""
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=_item({":pk": f"RUN#{run_id}"}),
        )
        items = [_plain(item) for item in response.get("Items", [])]
        meta = next((item for item in items if item["SK"] == "META"), None)
        if meta is None:
            return None
        run = _public(meta)
        run["targets"] = [_public(item) for item in items if item["SK"].startswith("TARGET#")]
        return run

    def list_runs(self, limit: int = 20, cursor: str | None = None) -> Page:
        return self._query_index("GSI1", "GSI1PK", "RUNS", limit, cursor, newest_first=True)


def _summary(result: StackResult, checked_at: str, run_id: str | None) -> dict[str, Any]:
    return {
        "account_id": result.account_id,
        "region": result.region,
        "stack_name": result.stack_name,
        "state": result.state.value,
        "checked_at": checked_at,
        "drifted_resources": len(result.drifted_resources),
        "unchecked_resources": result.coverage.unchecked,
        "run_id": run_id,
    }


def _memory(previous: Mapping[str, Any] | None) -> DriftMemory | None:
    if previous is None:
        return None
    return DriftMemory(
        drifted=bool(previous.get("drifted")),
        fingerprint=previous.get("fingerprint"),
        ever_drifted=bool(previous.get("ever_drifted")),
        drift_since=_parse_time(previous.get("drift_since")),
    )


def _stored(item: Mapping[str, Any]) -> StoredCheck:
    transition = item.get("transition")
    truncated = item.get("truncated")
    return StoredCheck(
        result=decode_detail(item),
        transition=Transition(transition) if transition else None,
        drift_since=_parse_time(item.get("drift_since")),
        run_id=item.get("run_id"),
        truncated={k: int(v) for k, v in truncated.items()} if truncated else None,
    )


def _public(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item without key attributes or blobs, numbers as ints (for APIs and reports)."""
    hidden = {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "detail", "detail_gz"}
    return {
        key: int(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, bool)
        and value == int(value) else value
        for key, value in item.items()
        if key not in hidden
    }  # fmt: skip
