"""`python -m driftwarden scan`: audit accounts and regions from a laptop with the engine itself.

Exit codes: 0 every checked stack is in sync, 1 drift found, 2 an error (a target could not be
audited, or bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from awskit.clients import AWSClientManager
from awskit.errors import AwsKitError
from driftwarden.engine import DriftEngine, audit_client_manager, role_sessions
from driftwarden.models import StackState, TargetResult
from driftwarden.targets import Target, TargetSelection

EXIT_IN_SYNC, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
REDACTED = "(redacted)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="driftwarden", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="audit accounts x regions for drift")
    scan.add_argument(
        "--account",
        action="append",
        dest="accounts",
        default=[],
        help="account id to audit (repeat); default: the caller's account",
    )
    scan.add_argument(
        "--region",
        action="append",
        dest="regions",
        default=[],
        help="region to audit (repeat); default: the profile's region",
    )
    scan.add_argument(
        "--stack",
        action="append",
        dest="stacks",
        default=[],
        help="stack name glob (repeat); default: every stack",
    )
    scan.add_argument("--profile", help="AWS profile of the caller")
    scan.add_argument(
        "--role-name",
        help="audit role to assume in each account "
        "(member-role.yaml); without it, the caller's credentials are used",
    )
    scan.add_argument("--external-id", help="ExternalId the audit role requires")
    scan.add_argument(
        "--emulator",
        metavar="URL",
        nargs="?",
        const="http://127.0.0.1:5000",
        help="use a local emulator (python -m emulator) at URL",
    )
    scan.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    scan.add_argument(
        "--redact-values",
        action="store_true",
        help="leave expected and actual values out of the output",
    )
    return parser


def _redacted(results: list[TargetResult]) -> list[TargetResult]:
    def hide(value: str | None) -> str | None:
        return None if value is None else REDACTED

    out = []
    for target in results:
        stacks = []
        for stack in target.stacks:
            resources = [
                resource.model_copy(update={"differences": [
                    d.model_copy(update={"expected_value": hide(d.expected_value),
                                         "actual_value": hide(d.actual_value)})
                    for d in resource.differences
                ]})
                for resource in stack.resources
            ]  # fmt: skip
            stacks.append(stack.model_copy(update={"resources": resources}))
        out.append(target.model_copy(update={"stacks": stacks}))
    return out


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
    differences = [(t, s, r, d) for t in results for s in t.stacks for r in s.drifted_resources
                   for d in r.differences if not d.ignored]  # fmt: skip
    if differences:
        lines += ["", "Drifted properties:" if not markdown else "**Drifted properties**", ""]
        for target, stack, resource, d in differences:
            lines.append(f"{'- ' if markdown else '  '}{target.account_id}/{target.region}/"
                         f"{stack.stack_name} {resource.logical_resource_id} {d.property_path}: "
                         f"expected {d.expected_value or '-'}, actual {d.actual_value or '-'} "
                         f"({d.difference_type})")  # fmt: skip
    return "\n".join(lines)


def exit_code(results: list[TargetResult]) -> int:
    if any(t.error for t in results):
        return EXIT_ERROR
    if any(s.state is StackState.DRIFTED for t in results for s in t.stacks):
        return EXIT_DRIFT
    return EXIT_IN_SYNC


def scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.emulator:
        os.environ["AWS_ENDPOINT_URL"] = args.emulator
    source = audit_client_manager(profile=args.profile, region=(args.regions or [None])[0])
    regions = args.regions or [source.region or "us-east-1"]
    accounts = args.accounts or [source.validate_credentials().account_id]
    if args.role_name:
        sessions = role_sessions(source, args.role_name, args.external_id, "driftwarden-cli")
    else:

        def sessions(_account: str) -> AWSClientManager:
            return source

    selection = TargetSelection(
        regions=tuple(regions), stack_name_globs=tuple(args.stacks or ["*"])
    )
    targets = [Target(account_id=a, region=r) for a in accounts for r in regions]
    results = []
    for number, target in enumerate(targets, 1):
        print(f"[{number}/{len(targets)}] {target.account_id} {target.region} ...", file=err)
        results.append(DriftEngine(sessions, selection=selection).audit_target(target))
    if args.redact_values:
        results = _redacted(results)
    if args.format == "json":
        print(json.dumps([json.loads(r.model_dump_json()) for r in results], indent=2), file=out)
    else:
        print(render_table(results, markdown=args.format == "markdown"), file=out)
    return exit_code(results)


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    args = _parser().parse_args(argv)
    try:
        return scan(args, out, err)
    except AwsKitError as error:
        print(error.to_user_message(), file=err)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
