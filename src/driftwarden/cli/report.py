"""`driftwarden report`: write the drift report, one self-contained HTML file.

From scan JSON files (`driftwarden scan --format json > scan.json`; several scans of the same
stacks make their timeline and drift age) or from the service's results table (--table).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pydantic import TypeAdapter, ValidationError

from awskit.errors import InvalidInputError
from driftwarden.cli.common import EXIT_OK, add_credential_options, source_manager
from driftwarden.models import TargetResult
from driftwarden.report.data import DriftReport, report_from_scans, report_from_store
from driftwarden.report.page import render_report
from driftwarden.store import ResultStore
from driftwarden.wording import count

_SCAN = TypeAdapter(list[TargetResult])


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="write the HTML drift report",
                                 description=__doc__)  # fmt: skip
    report.add_argument("scans", nargs="*", type=Path, metavar="SCAN.json",
                        help="output of `driftwarden scan --format json`")  # fmt: skip
    report.add_argument("--table", help="the service's results table (stack output TableName)")
    report.add_argument("--account", help="with --table: only this account")
    report.add_argument("--region", dest="regions", action="append", default=[],
                        help="with --table: the table's region, and only stacks there")  # fmt: skip
    report.add_argument("--max-stacks", type=_positive, default=2000,
                        help="with --table: at most this many stacks, worst first")  # fmt: skip
    add_credential_options(report, roles=False)
    report.add_argument("--output", "-o", type=Path, default=Path("drift-report.html"),
                        help="where to write the report (default: %(default)s)")  # fmt: skip
    report.add_argument("--redact-values", action="store_true",
                        help="leave expected and actual values out of the report")  # fmt: skip
    report.set_defaults(run=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if bool(args.scans) == bool(args.table):
        raise InvalidInputError(
            "give scan JSON files or --table, one of the two",
            suggestions=["driftwarden scan --format json > scan.json && "
                         "driftwarden report scan.json",
                         "driftwarden report --table <TableName output of the stack>"],
        )  # fmt: skip
    now = datetime.now(UTC)
    if args.scans:
        report = report_from_scans([read_scan(path) for path in args.scans], now)
    else:
        manager = source_manager(args, for_audit=False)
        store = ResultStore(args.table, manager.get_client("dynamodb"))
        region = args.regions[0] if args.regions else None
        report = report_from_store(store, now, account=args.account, region=region,
                                   max_stacks=args.max_stacks)  # fmt: skip
    write_atomically(args.output, render_report(report, redact_values=args.redact_values))
    print(f"{args.output}: {_summary(report)}", file=out)
    return EXIT_OK


def read_scan(path: Path) -> list[TargetResult]:
    try:
        return _SCAN.validate_json(path.read_bytes())
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        raise InvalidInputError(
            f"{path} is not the JSON of `driftwarden scan --format json` "
            f"({where or 'document'}: {first['msg']})",
            suggestions=["Write it with: driftwarden scan --format json > scan.json"],
        ) from exc


def write_atomically(path: Path, text: str) -> None:
    """A report that fails half-way never replaces the previous one."""
    directory = path.parent if str(path.parent) else Path(".")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False,
                                     prefix=f".{path.name}.", suffix=".tmp") as handle:  # fmt: skip
        try:
            handle.write(text)
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


def _summary(report: DriftReport) -> str:
    drifted = sum(stack.result.state.value == "DRIFTED" for stack in report.stacks)
    text = f"{count(len(report.stacks), 'stack')}, {drifted} drifted"
    if report.failed_targets:
        text += f", {count(len(report.failed_targets), 'target')} not audited"
    if report.omitted_stacks:
        text += f", {report.omitted_stacks} more not shown (--max-stacks)"
    return text
