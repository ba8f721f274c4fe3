"""Building the collaborators handlers need, lazily and once per Lambda container.

Nothing here runs at import. Each getter is cached; tests clear them with `clear_wiring()`.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
)

from awskit.clients import AWSClientManager
from driftwarden.engine import DriftEngine, audit_client_manager, role_sessions
from driftwarden.findings import FindingsPublisher
from driftwarden.settings import HandlerSettings, WorkerSettings
from driftwarden.store import ResultStore
from driftwarden.work import WorkQueue


@cache
def home_manager() -> AWSClientManager:
    """The function's own identity (its execution role), for its own table, queue and bus."""
    return AWSClientManager()


@cache
def result_store(table_name: str) -> ResultStore:
    return ResultStore(table_name, home_manager().get_client("dynamodb"))


def store_for(settings: HandlerSettings) -> ResultStore:
    return result_store(settings.table_name)


@cache
def work_queue(queue_url: str) -> WorkQueue:
    return WorkQueue(home_manager().get_client("sqs"), queue_url)


@cache
def drift_engine(settings: WorkerSettings) -> DriftEngine:
    sessions = role_sessions(audit_client_manager(), settings.audit_role_name, settings.external_id)
    return DriftEngine(sessions, ignore_rules=settings.ignore_rules)


@cache
def findings_publisher(settings: WorkerSettings) -> FindingsPublisher:
    manager = home_manager()
    return FindingsPublisher(
        manager.get_client("logs"),
        manager.get_client("events"),
        log_group=settings.findings_log_group,
        event_bus=settings.event_bus_name,
        metrics_namespace=settings.metrics_namespace,
    )


@cache
def idempotency(table_name: str, hours: int) -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
    """Powertools idempotency records in the results table, under their own partition."""
    persistence = DynamoDBPersistenceLayer(
        table_name=table_name, key_attr="PK", sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#checks", expiry_attr="expires_at",
        boto3_client=home_manager().get_client("dynamodb"),
    )  # fmt: skip
    return persistence, IdempotencyConfig(expires_after_seconds=hours * 3600)


def clear_wiring() -> None:
    for getter in (home_manager, result_store, work_queue, drift_engine, findings_publisher,
                   idempotency):  # fmt: skip
        getter.cache_clear()
