"""The drift report as one self-contained HTML page: inline styles, no scripts, no requests.

The page opens from a file or an API response with no network: a heat map of accounts x
regions, then one section per account-region whose stacks open (<details>) to show their
property differences side by side, what could not be checked, and their history. Every value
from AWS is escaped; the Content-Security-Policy forbids scripts and fetches all the same.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape

from driftwarden.models import ResourceDrift, ResourceStatus, StackState
from driftwarden.redaction import redact_stack
from driftwarden.report.data import (
    SEVERITY,
    DriftReport,
    ReportStack,
    severity_rank,
    worst_state,
)
from driftwarden.report.diff import side_by_side
from driftwarden.wording import count as _count

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STATE_LABELS = {
    StackState.DRIFTED: "drifted",
    StackState.FAILED: "check failed",
    StackState.PARTIAL: "partly checked",
    StackState.NOT_CHECKED: "not checked",
    StackState.IN_SYNC: "in sync",
}

STYLE = """
:root { --drifted:#c0392b; --failed:#8e44ad; --partial:#d68910; --not-checked:#7f8c8d;
  --in-sync:#1e8449; --error:#2c3e50; --ink:#1c2833; --muted:#5d6d7e; --line:#d5dbdb;
  --paper:#fbfcfc; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: var(--paper); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
.meta, footer { color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 12.5px; }
.totals { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 4px; }
.chip { border-radius: 14px; padding: 3px 12px; color: #fff; font-weight: 600; }
.badge { display: inline-block; min-width: 92px; text-align: center; border-radius: 4px;
  padding: 1px 8px; color: #fff; font-size: 12px; font-weight: 700; }
.DRIFTED { background: var(--drifted); } .FAILED { background: var(--failed); }
.PARTIAL { background: var(--partial); } .NOT_CHECKED { background: var(--not-checked); }
.IN_SYNC { background: var(--in-sync); } .ERROR { background: var(--error); }
.EMPTY { background: #eaeded; color: var(--muted); }
table { border-collapse: collapse; }
table.heatmap th, table.heatmap td { border: 2px solid var(--paper); padding: 0; }
table.heatmap th { padding: 6px 12px; text-align: left; font-weight: 600; }
table.heatmap td a { display: block; min-width: 130px; padding: 10px 12px; color: #fff;
  text-decoration: none; }
table.heatmap td.EMPTY a, table.heatmap td.EMPTY span { color: var(--muted); }
table.heatmap td span.cell { display: block; padding: 10px 12px; }
table.heatmap strong { display: block; font-size: 15px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 8px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
section.target { border-top: 1px solid var(--line); }
section.target:target h2 { background: #fef9e7; }
.problem { border-left: 4px solid var(--error); background: #f4f6f6; padding: 8px 12px;
  margin: 8px 0; }
details.stack { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0;
  background: #fff; }
details.stack > summary { cursor: pointer; padding: 9px 12px; display: flex; gap: 12px;
  align-items: center; flex-wrap: wrap; list-style-position: inside; }
details.stack[open] > summary { border-bottom: 1px solid var(--line); }
.stack-name { font-weight: 650; font-size: 15px; }
.facts { color: var(--muted); }
.age { color: var(--drifted); font-weight: 600; }
.timeline { display: inline-flex; gap: 2px; margin-left: auto; }
.timeline i { width: 9px; height: 16px; border-radius: 2px; display: inline-block; }
.stack-body { padding: 4px 16px 16px; }
dl.props { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.props dt { color: var(--muted); } dl.props dd { margin: 0; }
.bar { display: flex; height: 10px; width: 320px; border-radius: 5px; overflow: hidden;
  background: #eaeded; margin-top: 3px; }
.bar .checked { background: var(--in-sync); } .bar .unchecked { background: var(--partial); }
.resource { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; }
.resource > h4 { margin: 0; padding: 7px 12px; background: #f4f6f6; font-size: 14px;
  display: flex; gap: 10px; flex-wrap: wrap; align-items: baseline; }
.resource .status { color: var(--drifted); font-weight: 700; font-size: 12px; }
.difference { padding: 8px 12px; }
.difference + .difference { border-top: 1px dashed var(--line); }
.path { margin-bottom: 5px; } .kind { color: var(--muted); font-size: 12px; margin-left: 8px; }
.ignored { opacity: .6; }
table.sbs { width: 100%; table-layout: fixed; }
table.sbs th { text-align: left; font-weight: 600; color: var(--muted); padding: 3px 8px;
  border-bottom: 1px solid var(--line); }
table.sbs td { vertical-align: top; padding: 1px 8px; white-space: pre-wrap;
  word-break: break-all; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 12.5px; }
table.sbs td + td, table.sbs th + th { border-left: 1px solid var(--line); }
tr.changed td:first-child, tr.removed td:first-child { background: #fadbd8; }
tr.changed td:last-child, tr.added td:last-child { background: #d5f5e3; }
td.none { background: #f4f6f6; }
table.list { width: 100%; } table.list th, table.list td { text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; }
ol.history { list-style: none; padding: 0; margin: 0; }
ol.history li { padding: 2px 0; } ol.history i { display: inline-block; width: 10px;
  height: 10px; border-radius: 2px; margin-right: 8px; }
.suggestions { margin: 4px 0 0 18px; padding: 0; }
"""


def _state_class(state: StackState) -> str:
    return state.value


def _anchor(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "_", "-".join(parts))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def describe_age(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def render_report(report: DriftReport, *, redact_values: bool = False) -> str:
    stacks = [
        stack.model_copy(update={"result": redact_stack(stack.result)}) if redact_values else stack
        for stack in report.stacks
    ]
    report = report.model_copy(update={"stacks": stacks})
    omitted = (f" · {report.omitted_stacks} more not shown (filter by account or region)"
               if report.omitted_stacks else "")  # fmt: skip
    cells = report.cells()
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>driftwarden: drift report</title>",
        f"<style>{STYLE}</style></head><body>",
        _header(report, cells),
        "<main>",
        _heat_map(report, cells),
        _problems(report),
        *(_target_section(report, key, cell) for key, cell in sorted(cells.items())),
        "</main>",
        f"<footer>driftwarden · {_count(len(report.stacks), 'stack')}{omitted}"
        + (" · values redacted" if redact_values else "")
        + "</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


Cells = dict[tuple[str, str], list[ReportStack]]


def _header(report: DriftReport, cells: Cells) -> str:
    accounts = {account for account, _ in cells}
    regions = {region for _, region in cells}
    counts = {state: sum(s.result.state is state for s in report.stacks) for state in SEVERITY}
    chips = "".join(
        f'<span class="chip {_state_class(state)}">{count} {STATE_LABELS[state]}</span>'
        for state, count in counts.items()
        if count
    )
    if report.failed_targets:
        chips += (f'<span class="chip ERROR">{len(report.failed_targets)} '
                  "targets not audited</span>")  # fmt: skip
    checked = sum(s.result.coverage.checked for s in report.stacks)
    total = sum(s.result.coverage.total for s in report.stacks)
    source = {"scan": "driftwarden scan results", "table": "the service's results table"}
    return (
        "<header><h1>Drift report</h1>"
        f'<p class="meta">Generated {_when(report.generated_at)} from '
        f"{escape(source.get(report.source, report.source))} · "
        f"{_count(len(report.stacks), 'stack')} in {_count(len(accounts), 'account')} &times; "
        f"{_count(len(regions), 'region')}</p>"
        f'<div class="totals">{chips}</div>'
        f'<p class="meta">Coverage: {checked} of {total} resources checked'
        f"{f', {total - checked} could not be checked' if total - checked else ''}.</p>"
        "</header>"
    )


def _heat_map(report: DriftReport, cells: Cells) -> str:
    if not cells:
        return "<p>No results yet.</p>"
    accounts = sorted({account for account, _ in cells})
    regions = sorted({region for _, region in cells})
    failed = {(p.account_id, p.region) for p in report.failed_targets}
    rows = []
    for account in accounts:
        row = [f'<th class="mono">{escape(account)}</th>']
        for region in regions:
            key = (account, region)
            link = f"#{_anchor('t', account, region)}"
            if key not in cells:
                row.append('<td class="EMPTY"><span class="cell">not audited</span></td>')
                continue
            stacks = cells[key]
            worst = worst_state(s.result.state for s in stacks)
            if key in failed:
                css, headline = "ERROR", "audit failed"
            elif worst is None:
                css, headline = "EMPTY", "no stacks"
            else:
                count = sum(s.result.state is worst for s in stacks)
                css, headline = _state_class(worst), f"{count} {STATE_LABELS[worst]}"
            label = f"{escape(account)} {escape(region)}: {headline}"
            row.append(
                f'<td class="{css}" data-account="{escape(account)}" '
                f'data-region="{escape(region)}"><a href="{link}" title="{label}">'
                f"<strong>{headline}</strong><span>{_count(len(stacks), 'stack')}</span></a></td>"
            )
        rows.append(f"<tr>{''.join(row)}</tr>")
    head = "".join(f"<th>{escape(region)}</th>" for region in regions)
    legend = "".join(
        f'<span><i class="{_state_class(state)}"></i>{STATE_LABELS[state]}</span>'
        for state in SEVERITY
    )
    return (
        '<section id="heatmap"><h2>Accounts &times; regions</h2>'
        f'<table class="heatmap"><thead><tr><th>Account</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<div class="legend">{legend}<span><i class="ERROR"></i>audit failed</span>'
        "<span>Each cell shows its worst state.</span></div></section>"
    )


def _problems(report: DriftReport) -> str:
    if not report.failed_targets:
        return ""
    items = []
    for problem in report.failed_targets:
        error = problem.error
        suggestions = "".join(f"<li>{escape(s)}</li>" for s in error.suggestions)
        items.append(
            f'<div class="problem"><strong class="mono">{escape(problem.account_id)} '
            f"{escape(problem.region)}</strong>: {escape(error.category)}"
            f"{f' ({escape(error.code)})' if error.code else ''}: {escape(error.message)}"
            f'<ul class="suggestions">{suggestions}</ul></div>'
        )
    return f'<section id="problems"><h2>Targets not audited</h2>{"".join(items)}</section>'


def _target_section(report: DriftReport, key: tuple[str, str], stacks: list[ReportStack]) -> str:
    account, region = key
    failed = any((p.account_id, p.region) == key for p in report.failed_targets)
    empty = (
        '<p>Not audited: see <a href="#problems">above</a>.</p>' if failed else "<p>No stacks.</p>"
    )
    body = "".join(_stack(report, stack) for stack in stacks) or empty
    return (
        f'<section class="target" id="{_anchor("t", account, region)}">'
        f'<h2><span class="mono">{escape(account)}</span> / {escape(region)}</h2>{body}</section>'
    )


def _stack(report: DriftReport, stack: ReportStack) -> str:
    result = stack.result
    facts = []
    drifted = result.drifted_resources
    if drifted:
        facts.append(_count(len(drifted), "drifted resource"))
    if result.coverage.unchecked:
        facts.append(f"{result.coverage.unchecked} unchecked")
    age = ""
    if stack.drift_since and result.state is StackState.DRIFTED:
        age = (f'<span class="age">drifted for '
               f"{describe_age(report.generated_at - stack.drift_since)}</span>")  # fmt: skip
    ticks = "".join(
        f'<i class="{_state_class(point.state)}" title="{_when(point.checked_at)}: '
        f'{STATE_LABELS[point.state]}"></i>'
        for point in stack.timeline[-20:]
    )
    anchor = _anchor("s", result.account_id, result.region, result.stack_name)
    return (
        f'<details class="stack" id="{anchor}" data-state="{result.state.value}">'
        f'<summary><span class="badge {_state_class(result.state)}">{result.state.value}</span>'
        f'<span class="stack-name">{escape(result.stack_name)}</span>'
        f'<span class="facts">{escape(" · ".join(facts))}</span>{age}'
        f'<span class="timeline" title="last checks, oldest first">{ticks}</span></summary>'
        f'<div class="stack-body">{_stack_body(stack)}</div></details>'
    )


def _stack_body(stack: ReportStack) -> str:
    result = stack.result
    coverage = result.coverage
    share = 100 * coverage.checked / coverage.total if coverage.total else 0
    properties = [
        ("Checked", _when(result.checked_at)),
        ("Stack status", result.stack_status),
        ("Detection", result.detection_status
         + (f": {result.detection_reason}" if result.detection_reason else "")),
    ]  # fmt: skip
    if stack.drift_since:
        properties.append(("Drifted since", _when(stack.drift_since)))
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in properties)
    rows += (
        f"<dt>Coverage</dt><dd>{coverage.checked} of {coverage.total} resources checked"
        f'<div class="bar"><span class="checked" style="width:{share:.1f}%"></span>'
        f'<span class="unchecked" style="width:{100 - share:.1f}%"></span></div></dd>'
    )
    parts = [f'<dl class="props">{rows}</dl>']
    if result.error:
        suggestions = "".join(f"<li>{escape(s)}</li>" for s in result.error.suggestions)
        parts.append(f'<div class="problem">{escape(result.error.message)}'
                     f'<ul class="suggestions">{suggestions}</ul></div>')  # fmt: skip
    if stack.truncated:
        parts.append(
            f'<p class="meta">The store kept {stack.truncated.get("resources_kept", 0)} of '
            f"{stack.truncated.get('resources_total', 0)} resources of this check.</p>"
        )
    changed = [r for r in result.resources
               if r.differences or r.status is ResourceStatus.DELETED]  # fmt: skip
    if changed:
        parts.append("<h3>Property differences</h3>")
        parts += [_resource(resource, result.stack_name) for resource in changed]
    unchecked = [r for r in result.resources if not r.checked]
    if unchecked:
        parts.append("<h3>Not checked</h3>")
        parts.append(_table(["Resource", "Type", "Status", "Why"], [
            [r.logical_resource_id, r.resource_type, r.status.value, r.failure_reason or ""]
            for r in unchecked
        ]))  # fmt: skip
    if result.nested_stacks:
        parts.append("<h3>Nested stacks</h3>")
        parts.append(
            _table(
                ["Stack", "State"], [[n.stack_name, n.state.value] for n in result.nested_stacks]
            )
        )
    if stack.timeline:
        items = "".join(
            f'<li><i class="{_state_class(p.state)}"></i>{_when(p.checked_at)}: '
            f"{STATE_LABELS[p.state]}"
            f"{f' ({p.drifted_resources} drifted)' if p.drifted_resources else ''}</li>"
            for p in reversed(stack.timeline)
        )
        parts.append(f'<h3>History</h3><ol class="history">{items}</ol>')
    return "".join(parts)


def _resource(resource: ResourceDrift, root_stack: str) -> str:
    nested = (f'<span class="meta">in nested stack {escape(resource.stack_name)}</span>'
              if resource.stack_name != root_stack else "")  # fmt: skip
    head = (
        f"<h4><span>{escape(resource.logical_resource_id)}</span>{nested}"
        f'<code>{escape(resource.resource_type)}</code><span class="status">'
        f"{resource.status.value}</span>"
        f'<span class="meta mono">{escape(resource.physical_resource_id)}</span></h4>'
    )
    if resource.status is ResourceStatus.DELETED:
        return (f'<div class="resource">{head}<div class="difference">The resource no longer '
                "exists; the template still declares it.</div></div>")  # fmt: skip
    differences = []
    for difference in resource.differences:
        rows = "".join(
            f'<tr class="{row.change}">{_cell(row.expected)}{_cell(row.actual)}</tr>'
            for row in side_by_side(difference.expected_value, difference.actual_value)
        )
        ignored = (f'<span class="kind">ignored: {escape(difference.ignored_by)}</span>'
                   if difference.ignored_by else "")  # fmt: skip
        differences.append(
            f'<div class="difference{" ignored" if difference.ignored else ""}">'
            f'<div class="path"><code>{escape(difference.property_path)}</code>'
            f'<span class="kind">{escape(difference.difference_type)}</span>{ignored}</div>'
            '<table class="sbs"><thead><tr><th>Expected (template)</th><th>Actual (live)</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return f'<div class="resource">{head}{"".join(differences)}</div>'


def _cell(line: str | None) -> str:
    return '<td class="none"></td>' if line is None else f"<td>{escape(line)}</td>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="list"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_report_within(
    report: DriftReport, max_bytes: int, *, redact_values: bool = False
) -> str:
    """The report in at most `max_bytes` (a Lambda response is capped at 6 MB): when the whole
    is larger, the least severe stacks are left out (counted in the footer) until it fits."""
    page = render_report(report, redact_values=redact_values)
    if len(page.encode()) <= max_bytes:
        return page
    by_severity = sorted(report.stacks, key=lambda s: severity_rank(s.result.state))
    low, high = 0, len(by_severity)
    while low < high:  # the most stacks whose page still fits
        middle = (low + high + 1) // 2
        if len(_rendered_with(report, by_severity[:middle], redact_values).encode()) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return _rendered_with(report, by_severity[:low], redact_values)


def _rendered_with(report: DriftReport, stacks: list[ReportStack], redact_values: bool) -> str:
    omitted = report.omitted_stacks + len(report.stacks) - len(stacks)
    smaller = report.model_copy(update={"stacks": stacks, "omitted_stacks": omitted})
    return render_report(smaller, redact_values=redact_values)
