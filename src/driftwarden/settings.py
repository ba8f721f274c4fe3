"""Settings from the environment, one narrow model per handler, validated once and cached.

Tests change the environment and call `clear_settings()` (a fixture does) so nothing leaks.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from awskit.errors import ConfigurationError
from driftwarden.ignore_rules import IgnoreRule

S = TypeVar("S", bound="HandlerSettings")


class HandlerSettings(BaseModel):
    """Fields read from DRIFTWARDEN_<FIELD NAME IN CAPITALS>; lists are comma-separated."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=3)

    @classmethod
    def from_environment(cls: type[S]) -> S:
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = os.environ.get(f"DRIFTWARDEN_{name.upper()}")
            if raw is not None:
                values[name] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"DRIFTWARDEN_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigurationError(
                f"invalid {cls.__name__}: {problems}",
                suggestions=["Set the variables in template.yaml or your local environment."],
            ) from exc


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class ScheduleSettings(HandlerSettings):
    queue_url: str
    regions: tuple[str, ...] = Field(min_length=1)
    account_ids: tuple[str, ...] = ()  # empty: every active account of the organization
    organizational_unit_ids: tuple[str, ...] = ()
    stack_name_globs: tuple[str, ...] = ("*",)

    _lists = field_validator(
        "regions", "account_ids", "organizational_unit_ids", "stack_name_globs", mode="before"
    )(_split)


class WorkerSettings(HandlerSettings):
    queue_url: str
    audit_role_name: str = "DriftwardenAudit"
    external_id: str = Field(min_length=2)
    findings_log_group: str
    event_bus_name: str = "default"
    metrics_namespace: str = "Driftwarden"
    # A target with more root stacks is split into work items of this many (big targets).
    stacks_per_message: int = Field(default=100, ge=1, le=1000)
    ignore_rules: tuple[IgnoreRule, ...] = ()  # JSON list in DRIFTWARDEN_IGNORE_RULES

    @field_validator("ignore_rules", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else ()
        return value


class StackEventsSettings(HandlerSettings):
    queue_url: str
    debounce_seconds: int = Field(default=120, ge=0, le=3600)


class ApiSettings(HandlerSettings):
    queue_url: str
    idempotency_hours: int = Field(default=1, ge=1, le=24)
    # GET /report: stacks read from the table at most (worst first), and the page's size cap
    # (a Lambda response carries at most 6 MB).
    report_max_stacks: int = Field(default=500, ge=1, le=5000)
    report_max_bytes: int = Field(default=5_500_000, ge=100_000, le=5_900_000)


@cache
def settings_for(kind: type[S]) -> S:
    return kind.from_environment()


def clear_settings() -> None:
    settings_for.cache_clear()
