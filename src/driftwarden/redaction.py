"""Leaving expected and actual property values out of what is shown (`--redact-values`):
values can hold configuration a report's readers should not see; paths and kinds stay."""

from __future__ import annotations

from driftwarden.models import StackResult, TargetResult

REDACTED = "(redacted)"


def _hide(value: str | None) -> str | None:
    return None if value is None else REDACTED


def redact_stack(stack: StackResult) -> StackResult:
    resources = [
        resource.model_copy(update={"differences": [
            d.model_copy(update={"expected_value": _hide(d.expected_value),
                                 "actual_value": _hide(d.actual_value)})
            for d in resource.differences
        ]})
        for resource in stack.resources
    ]  # fmt: skip
    return stack.model_copy(update={"resources": resources})


def redact_targets(results: list[TargetResult]) -> list[TargetResult]:
    return [
        target.model_copy(update={"stacks": [redact_stack(s) for s in target.stacks]})
        for target in results
    ]
