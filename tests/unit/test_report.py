"""The drift report: data gathered from scans, the side-by-side diff, and the page itself
(escaping, self-containment, drift age, the size cap)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from driftwarden.models import ErrorInfo, StackResult, TargetResult
from driftwarden.report.data import DriftReport, report_from_scans
from driftwarden.report.diff import DiffRow, side_by_side
from driftwarden.report.page import describe_age, render_report, render_report_within
from tests.helpers import stack_result

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def scan(*stacks: StackResult, error: ErrorInfo | None = None) -> list[TargetResult]:
    return [TargetResult(account_id="111111111111", region="eu-west-1", started_at=NOW,
                         finished_at=max([s.checked_at for s in stacks], default=NOW),
                         stacks=list(stacks), error=error)]  # fmt: skip


def test_several_scans_make_a_timeline_and_the_drift_age_of_each_stack() -> None:
    # Given three scans: in sync, then drifted, then still drifted (given in any order)
    first = scan(stack_result("IN_SYNC", checked_at="2026-11-01T10:00:00+00:00"))
    second = scan(stack_result("DRIFTED", checked_at="2026-11-05T10:00:00+00:00",
                               drifted={"Queue": "120"}))  # fmt: skip
    third = scan(stack_result("DRIFTED", checked_at="2026-11-09T10:00:00+00:00",
                              drifted={"Queue": "120"}))  # fmt: skip

    report = report_from_scans([third, first, second], NOW)

    [stack] = report.stacks
    assert stack.result.checked_at == datetime(2026, 11, 9, 10, tzinfo=UTC)
    assert [p.state.value for p in stack.timeline] == ["IN_SYNC", "DRIFTED", "DRIFTED"]
    assert stack.drift_since == datetime(2026, 11, 5, 10, tzinfo=UTC)
    page = render_report(report)
    assert "drifted for 17 days" in page
    assert page.count('<i class="DRIFTED" title=') == 2


def test_a_target_whose_latest_scan_failed_is_a_problem_of_the_report() -> None:
    denied = ErrorInfo(category="PERMISSION", severity="ERROR", code="AccessDenied",
                       message="not authorized",
                       suggestions=["Deploy member-role.yaml"])  # fmt: skip
    report = report_from_scans([scan(error=denied)], NOW)

    [problem] = report.failed_targets
    assert problem.error.code == "AccessDenied"
    page = render_report(report)
    assert "audit failed" in page
    assert "<li>Deploy member-role.yaml</li>" in page


@pytest.mark.parametrize(
    ("expected", "actual", "rows"),
    [
        ("60", "120", [DiffRow("60", "120", "changed")]),
        (None, "x", [DiffRow(None, "x", "added")]),
        ("x", None, [DiffRow("x", None, "removed")]),
        ('{"b": 1, "a": [1, 2]}', '{"a": [1, 3], "b": 1}',
         [DiffRow("{", "{", "same"), DiffRow('  "a": [', '  "a": [', "same"),
          DiffRow("    1,", "    1,", "same"), DiffRow("    2", "    3", "changed"),
          DiffRow("  ],", "  ],", "same"), DiffRow('  "b": 1', '  "b": 1', "same"),
          DiffRow("}", "}", "same")]),
    ],
)  # fmt: skip
def test_values_are_compared_line_by_line_with_json_pretty_printed(
    expected: str | None, actual: str | None, rows: list[DiffRow]
) -> None:
    assert side_by_side(expected, actual) == rows


def test_everything_from_aws_is_escaped_and_the_page_fetches_nothing() -> None:
    hostile = "<script>alert(1)</script>"
    result = stack_result("DRIFTED", drifted={"Queue": hostile})
    report = report_from_scans([scan(result)], NOW)

    page = render_report(report)

    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    assert "default-src 'none'" in page
    assert re.findall(r'(?:src|href)="([^#][^"]*)"', page) == []


def test_redacted_values_are_left_out_but_the_paths_stay() -> None:
    report = report_from_scans([scan(stack_result("DRIFTED", drifted={"Queue": "999"}))], NOW)

    page = render_report(report, redact_values=True)

    assert "999" not in page
    assert "<code>/VisibilityTimeout</code>" in page
    assert "values redacted" in page


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(seconds=20), "less than a minute"), (timedelta(minutes=1), "1 minute"),
     (timedelta(hours=5, minutes=3), "5 hours"), (timedelta(days=1, hours=2), "1 day")],
)  # fmt: skip
def test_drift_age_reads_in_its_largest_unit(delta: timedelta, text: str) -> None:
    assert describe_age(delta) == text


def test_a_report_over_the_size_cap_leaves_out_the_least_severe_stacks_and_says_so() -> None:
    # Given 40 in-sync stacks and 2 drifted ones whose values are large
    stacks = [stack_result("IN_SYNC", stack_name=f"quiet-{n}") for n in range(40)]
    stacks += [stack_result("DRIFTED", stack_name=f"loud-{n}", drifted={"Queue": "1"},
                            padding=2000) for n in range(2)]  # fmt: skip
    report = report_from_scans([scan(*stacks)], NOW)
    whole = render_report(report)
    cap = len(whole.encode()) // 2

    page = render_report_within(report, cap)

    assert len(page.encode()) <= cap
    assert 'id="s-111111111111-eu-west-1-loud-0"' in page
    assert 'id="s-111111111111-eu-west-1-loud-1"' in page
    shown = page.count('<details class="stack"')
    assert 2 < shown < 42
    assert f"{42 - shown} more not shown" in page


def test_an_empty_report_says_there_is_nothing_yet() -> None:
    page = render_report(DriftReport(generated_at=NOW, source="table"))
    assert "No results yet." in page
