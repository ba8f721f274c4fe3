"""`driftwarden scan`: audit accounts x regions with the engine itself, from a laptop.

Exit codes: 0 every checked stack is in sync, 1 drift found, 2 a target could not be audited.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from driftwarden.cli.common import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    account_sessions,
    add_credential_options,
    add_target_options,
    source_manager,
    target_accounts,
    target_regions,
)
from driftwarden.cli.progress import TargetProgress, describe
from driftwarden.engine import DriftEngine
from driftwarden.models import ResourceStatus, StackState, TargetResult
from driftwarden.redaction import redact_targets
from driftwarden.targets import Target, TargetSelection


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser("scan", help="audit accounts x regions for drift",
                               description=__doc__)  # fmt: skip
    add_target_options(scan)
    scan.add_argument("--stack", action="append", dest="stacks", default=[],
                      help="stack name glob (repeat); default: every stack")  # fmt: skip
    add_credential_options(scan)
    scan.add_argument("--format", choices=("table", "json", "markdown"), default="table",
                      help="table or markdown to read, json for `driftwarden report`")  # fmt: skip
    scan.add_argument("--redact-values", action="store_true",
                      help="leave expected and actual values out of the output")  # fmt: skip
    scan.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = source_manager(args)
    regions = target_regions(args, source)
    targets = [Target(account_id=a, region=r)
               for a in target_accounts(args, source) for r in regions]  # fmt: skip
    globs = tuple(args.stacks or ["*"])
    selection = TargetSelection(regions=tuple(regions), stack_name_globs=globs)
    engine = DriftEngine(account_sessions(args, source), selection=selection)
    progress = TargetProgress(targets, err)
    with progress.shown():
        results = engine.audit(targets, progress=progress.update)
    for result in results:
        print(describe(result), file=err)
    if args.redact_values:
        results = redact_targets(results)
    if args.format == "json":
        print(json.dumps([json.loads(r.model_dump_json()) for r in results], indent=2), file=out)
    else:
        print(render_table(results, markdown=args.format == "markdown"), file=out)
    return exit_code(results)


def exit_code(results: list[TargetResult]) -> int:
    if any(t.error for t in results):
        return EXIT_ERROR
    if any(s.state is StackState.DRIFTED for t in results for s in t.stacks):
        return EXIT_DRIFT
    return EXIT_OK


def render_table(results: list[TargetResult], markdown: bool = False) -> str:
    header = ["account", "region", "stack", "state", "drifted", "unchecked", "note"]
    rows = []
    for target in results:
        if target.error:
            rows.append([target.account_id, target.region, "-", "ERROR", "-", "-",
                         f"{target.error.category}: {target.error.message}"])  # fmt: skip
        for stack in target.stacks:
            rows.append([target.account_id, target.region, stack.stack_name, stack.state.value,
                         str(len(stack.drifted_resources)), str(stack.coverage.unchecked),
                         ""])  # fmt: skip
    lines = []
    if markdown:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                  for row in [header, *rows]]  # fmt: skip
    drifts = []
    for target in results:
        for stack in target.stacks:
            where = f"{target.account_id}/{target.region}/{stack.stack_name}"
            for resource in stack.drifted_resources:
                if resource.status is ResourceStatus.DELETED:
                    drifts.append(f"{where} {resource.logical_resource_id}: deleted")
                drifts += [f"{where} {resource.logical_resource_id} {d.property_path}: expected "
                           f"{d.expected_value or '-'}, actual {d.actual_value or '-'} "
                           f"({d.difference_type})"
                           for d in resource.differences if not d.ignored]  # fmt: skip
    if drifts:
        lines += ["", "**Drift**" if markdown else "Drift:", ""]
        lines += [("- " if markdown else "  ") + drift for drift in drifts]
    return "\n".join(lines)
