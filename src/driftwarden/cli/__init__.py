"""`driftwarden` (or `python -m driftwarden`): the command line.

scan            audit accounts x regions with the engine itself
report          write the self-contained HTML drift report (from scans or the service's table)
validate-setup  check credentials, the audit roles and their permissions; print the fixes
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from awskit.errors import AwsKitError
from driftwarden.cli import report, scan, validate_setup
from driftwarden.cli.common import EXIT_DRIFT, EXIT_ERROR, EXIT_OK

EXIT_IN_SYNC = EXIT_OK
__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_IN_SYNC", "EXIT_OK", "main"]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="driftwarden",
        description="CloudFormation drift across accounts and regions.",
        epilog="Exit codes: 0 in sync (or all checks passed), 1 drift found, 2 an error.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (scan, report, validate_setup):
        command.add_parser(commands)
    return root


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exit_.code or 0)
    try:
        return int(args.run(args, out, err))
    except AwsKitError as error:
        print(error.to_user_message(), file=err)
        return EXIT_ERROR
