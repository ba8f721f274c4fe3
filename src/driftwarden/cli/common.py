"""What the commands share: exit codes, credential and target options, and the source
identity they build from them."""

from __future__ import annotations

import argparse
import os

from awskit.clients import AWSClientManager
from driftwarden.engine import ManagerForAccount, audit_client_manager, role_sessions

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
DEFAULT_EMULATOR_URL = "http://127.0.0.1:5000"


def add_credential_options(parser: argparse.ArgumentParser, *, roles: bool = True) -> None:
    parser.add_argument("--profile", help="AWS profile of the caller")
    if roles:
        parser.add_argument(
            "--role-name",
            help="audit role to assume in each account "
            "(member-role.yaml); without it, the caller's credentials are used",
        )
        parser.add_argument("--external-id", help="ExternalId the audit role requires")
    parser.add_argument(
        "--emulator",
        metavar="URL",
        nargs="?",
        const=DEFAULT_EMULATOR_URL,
        help=f"use a local emulator (python -m emulator), by default at {DEFAULT_EMULATOR_URL}",
    )


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", action="append", dest="accounts", default=[],
                        help="account id (repeat); default: the caller's account")  # fmt: skip
    parser.add_argument("--region", action="append", dest="regions", default=[],
                        help="region (repeat); default: the profile's region")  # fmt: skip


def source_manager(args: argparse.Namespace, *, for_audit: bool = True) -> AWSClientManager:
    """The caller's identity; with --emulator every client talks to the local emulator.
    Audits make one attempt per call (the engine's budget retries); other uses retry."""
    if args.emulator:
        os.environ["AWS_ENDPOINT_URL"] = args.emulator
    region = (getattr(args, "regions", None) or [None])[0]
    if for_audit:
        return audit_client_manager(profile=args.profile, region=region)
    return AWSClientManager(profile=args.profile, region=region)


def target_accounts(args: argparse.Namespace, source: AWSClientManager) -> list[str]:
    return list(args.accounts) or [source.validate_credentials().account_id]


def target_regions(args: argparse.Namespace, source: AWSClientManager) -> list[str]:
    return list(args.regions) or [source.region or "us-east-1"]


def account_sessions(args: argparse.Namespace, source: AWSClientManager) -> ManagerForAccount:
    """account id -> the manager that audits it: the audit role there, or the caller."""
    if args.role_name:
        return role_sessions(source, args.role_name, args.external_id, "driftwarden-cli")

    def caller(_account: str) -> AWSClientManager:
        return source

    return caller
