"""A progress bar per target while `scan` runs (rich; drawn on stderr, only on a terminal)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from driftwarden.models import StackState, TargetResult
from driftwarden.targets import Target
from driftwarden.wording import count


class TargetProgress:
    """One bar per target: root stacks checked of the target's total."""

    def __init__(self, targets: list[Target], stream: TextIO) -> None:
        console = Console(file=stream)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("stacks"),
            console=console,
            disable=not console.is_terminal,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {
            (t.account_id, t.region): self._progress.add_task(
                f"{t.account_id} {t.region}", total=None
            )
            for t in targets
        }

    def update(self, target: Target, done: int, total: int) -> None:
        task = self._tasks[(target.account_id, target.region)]
        self._progress.update(task, completed=done, total=total)

    @contextmanager
    def shown(self) -> Iterator[TargetProgress]:
        with self._progress:
            yield self


def describe(result: TargetResult) -> str:
    where = f"{result.account_id} {result.region}"
    if result.error:
        return f"{where}: not audited ({result.error.category}: {result.error.message})"
    counts = result.summary()
    found = ", ".join(f"{counts[state]} {state.lower()}" for state in StackState if counts[state])
    return f"{where}: {count(len(result.stacks), 'stack')} checked" + (
        f" ({found})" if found else ""
    )
