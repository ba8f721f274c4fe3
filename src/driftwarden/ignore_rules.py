"""Ignore rules: accepted drift, written as data (scope globs, type, property path, reason, expiry).

A rule never deletes a difference: matching differences are kept and marked ignored, with the
rule's reason, so reports can still show them and an expired rule simply stops matching.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field, field_validator

from driftwarden.models import PropertyDifference


class IgnoreRule(BaseModel):
    """Globs (fnmatch, case-sensitive) on where a difference is; '*' matches anything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(min_length=1, description="why this drift is accepted")
    account_id: str = "*"
    region: str = "*"
    stack_name: str = "*"
    logical_resource_id: str = "*"
    resource_type: str = "*"
    property_path: str = "*"
    expires: date | None = Field(default=None, description="last day the rule applies")

    @field_validator("property_path")
    @classmethod
    def _path_is_absolute(cls, value: str) -> str:
        if value != "*" and not value.startswith("/"):
            raise ValueError("property_path is a path like /Tags/* or /Environment/Variables/*")
        return value

    def active_on(self, day: date) -> bool:
        return self.expires is None or day <= self.expires

    def matches(self, difference: PropertyDifference, day: date) -> bool:
        return self.active_on(day) and all(
            fnmatchcase(getattr(difference, name), pattern)
            for name, pattern in (
                ("account_id", self.account_id),
                ("region", self.region),
                ("stack_name", self.stack_name),
                ("logical_resource_id", self.logical_resource_id),
                ("resource_type", self.resource_type),
                ("property_path", self.property_path),
            )
        )


__all__ = ["IgnoreRule", "PropertyDifference", "apply_ignore_rules"]


def apply_ignore_rules(
    differences: Iterable[PropertyDifference], rules: Sequence[IgnoreRule], day: date
) -> list[PropertyDifference]:
    """Every difference, in order; those a rule matches come back marked with its reason."""
    marked = []
    for difference in differences:
        rule = next((r for r in rules if r.matches(difference, day)), None)
        marked.append(
            difference.model_copy(update={"ignored_by": rule.reason}) if rule else difference
        )
    return marked
