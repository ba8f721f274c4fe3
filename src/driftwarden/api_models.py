"""Request and response bodies of the HTTP API (they are its OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from driftwarden.models import StackResult, Transition

ACCOUNT_ID = r"^\d{12}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
STACK_NAME = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"


class ErrorBody(BaseModel):
    """Every 4xx and 5xx this API answers itself (validation errors use Powertools' shape)."""

    category: str
    message: str
    suggestions: list[str] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


class StackSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str
    region: str
    stack_name: str
    state: str
    checked_at: str
    drift_since: str | None = None
    drifted_resources: int = 0
    unchecked_resources: int = 0


class StackPage(BaseModel):
    items: list[StackSummary]
    cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class StackCheck(BaseModel):
    """A stack's check with its property differences."""

    result: StackResult
    transition: Transition | None = None
    drift_since: str | None = None
    run_id: str | None = None
    truncated: dict[str, int] | None = None


class HistoryPage(BaseModel):
    items: list[StackCheck]
    cursor: str | None = None


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(pattern=ACCOUNT_ID)
    region: str = Field(pattern=REGION)
    stack_names: list[str] = Field(default_factory=list, max_length=100)


class CheckAccepted(BaseModel):
    check_id: str
    status: str = "QUEUED"


class Run(BaseModel):
    model_config = ConfigDict(extra="allow")

    run_id: str
    trigger: str
    status: str
    started_at: str
    target_count: int
    targets_done: int = 0
    finished_at: str | None = None
    targets: list[dict[str, Any]] = Field(default_factory=list)


class RunPage(BaseModel):
    items: list[Run]
    cursor: str | None = None


class Summary(BaseModel):
    stacks_by_state: dict[str, int]
