"""Side-by-side line diffs of an expected and an actual property value.

Values are strings as CloudFormation reports them; JSON objects and lists (policies, tag lists)
are pretty-printed first, so a change deep inside a document shows as the lines that differ.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Literal

Change = Literal["same", "changed", "removed", "added"]


@dataclass(frozen=True)
class DiffRow:
    expected: str | None  # None: no line on this side
    actual: str | None
    change: Change


def pretty_lines(value: str | None) -> list[str]:
    if value is None:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return value.splitlines() or [""]
    if isinstance(parsed, dict | list):
        return json.dumps(parsed, indent=2, sort_keys=True).splitlines()
    return value.splitlines() or [""]


def side_by_side(expected: str | None, actual: str | None) -> list[DiffRow]:
    left, right = pretty_lines(expected), pretty_lines(actual)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [DiffRow(line, line, "same") for line in left[i1:i2]]
        elif tag == "replace":
            olds, news = left[i1:i2], right[j1:j2]
            for number in range(max(len(olds), len(news))):
                old = olds[number] if number < len(olds) else None
                new = news[number] if number < len(news) else None
                rows.append(DiffRow(old, new, "changed" if old is not None and new is not None
                                    else "removed" if new is None else "added"))  # fmt: skip
        elif tag == "delete":
            rows += [DiffRow(line, None, "removed") for line in left[i1:i2]]
        else:
            rows += [DiffRow(None, line, "added") for line in right[j1:j2]]
    return rows
