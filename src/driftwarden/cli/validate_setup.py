"""`driftwarden validate-setup`: can this identity audit these accounts and regions?

Checks the caller's credentials, that each account's audit role can be assumed with the
ExternalId (and not without it), and that the role may make every CloudFormation call drift
detection needs. Each
failure is printed with its fix. Nothing is changed: a permission is probed with a call about a
stack that does not exist, which IAM authorises (or denies) before CloudFormation looks it up.
Exit codes: 0 every check passed, 2 something is missing.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from awskit.clients import AWSClientManager, role_arn_for
from awskit.errors import AwsKitError, ErrorCategory, client_error_code, error_from_sdk
from driftwarden.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    account_sessions,
    add_credential_options,
    add_target_options,
    source_manager,
    target_accounts,
    target_regions,
)

# A name CloudFormation cannot have (a stack name starts with a letter): the probes can never
# touch a real stack.
PROBE_STACK = "0-driftwarden-validate-setup-probe"
PROBE_DETECTION_ID = "00000000-0000-0000-0000-000000000000"

# The calls the engine makes (see awskit.services.cloudformation), each with a harmless probe.
PROBES: dict[str, Callable[[Any], object]] = {
    "cloudformation:DescribeStacks": lambda cfn: cfn.describe_stacks(),
    "cloudformation:DetectStackDrift": lambda cfn: cfn.detect_stack_drift(StackName=PROBE_STACK),
    "cloudformation:DescribeStackDriftDetectionStatus":
        lambda cfn: cfn.describe_stack_drift_detection_status(
            StackDriftDetectionId=PROBE_DETECTION_ID),
    "cloudformation:DescribeStackResourceDrifts":
        lambda cfn: cfn.describe_stack_resource_drifts(StackName=PROBE_STACK),
}  # fmt: skip


@dataclass
class Check:
    where: str
    what: str
    passed: bool
    detail: str = ""
    fixes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        mark = "ok  " if self.passed else "FAIL"
        head = f"{mark}  {self.where:<26} {self.what}"
        lines = [head + (f": {self.detail}" if self.detail else "")]
        lines += [f"      fix: {fix}" for fix in self.fixes]
        return lines


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser(
        "validate-setup", help="check credentials, audit roles and permissions",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_target_options(validate)
    add_credential_options(validate)
    validate.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    checks = list(validate(args))
    for check in checks:
        print("\n".join(check.lines()), file=out)
    failed = [check for check in checks if not check.passed]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed"
          + (f"; fix the {len(failed)} above and run it again." if failed else "."),
          file=out)  # fmt: skip
    return EXIT_ERROR if failed else EXIT_OK


def validate(args: argparse.Namespace) -> list[Check]:
    source = source_manager(args, for_audit=False)
    try:
        identity = source.validate_credentials()
    except AwsKitError as error:
        return [Check("caller", "credentials", False, error.message, list(error.suggestions))]
    checks = [Check("caller", "credentials", True,
                    f"{identity.arn} (from {identity.credential_source})")]  # fmt: skip
    sessions = account_sessions(args, source)
    regions = target_regions(args, source)
    for account in target_accounts(args, source):
        manager = sessions(account)
        if args.role_name:
            assumed = _assume(args, account, manager, identity.arn)
            checks.append(assumed)
            if not assumed.passed:
                continue
            if args.external_id:
                checks.append(_external_id_required(args, account, source))
        for region in regions:
            checks += [_probe(manager, account, region, action, probe)
                       for action, probe in PROBES.items()]  # fmt: skip
    return checks


def _assume(args: argparse.Namespace, account: str, manager: AWSClientManager,
            caller_arn: str) -> Check:  # fmt: skip
    what = f"assume {args.role_name}" + (" with the ExternalId" if args.external_id else "")
    try:
        manager.assume_role()
    except AwsKitError as error:
        trusted = (
            _role_of(caller_arn) or "<the service's WorkerRoleArn output, or a role you run as>"
        )
        fixes = [
            f"Deploy member-role.yaml in {account} (a stack or StackSet instance) with "
            f"RoleName={args.role_name}, WorkerRoleArn={trusted} and the same ExternalId.",
            "Pass --external-id with the value the role's trust policy requires."
            if not args.external_id
            else "Check that --external-id equals the role's sts:ExternalId condition.",
        ]
        return Check(account, what, False, _describe(error), fixes)
    return Check(account, what, True)


def _role_of(caller_arn: str) -> str | None:
    """The IAM role behind an assumed-role session ARN (member-role.yaml trusts a role)."""
    match = re.match(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/", caller_arn)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else None


def _external_id_required(
    args: argparse.Namespace, account: str, source: AWSClientManager
) -> Check:
    """The role must refuse anyone who comes without the ExternalId: otherwise any principal it
    trusts can be tricked into acting on another's behalf (the confused deputy)."""
    what = "refuses AssumeRole without the ExternalId"
    bare = source.for_role(role_arn_for(account, args.role_name),
                           session_name="driftwarden-validate-setup")  # fmt: skip
    try:
        bare.assume_role()
    except AwsKitError as error:
        if error.category is ErrorCategory.PERMISSION:
            return Check(account, what, True)
        return Check(account, what, False, _describe(error), list(error.suggestions))
    return Check(account, what, False, "it was assumed without one", [
        f"Add the sts:ExternalId condition to the trust policy of {args.role_name} in "
        f"{account}: member-role.yaml has it; redeploy the role from it.",
    ])  # fmt: skip


def _probe(manager: AWSClientManager, account: str, region: str, action: str,
           probe: Callable[[Any], object]) -> Check:  # fmt: skip
    where = f"{account} {region}"
    try:
        probe(manager.get_client("cloudformation", region))
    except AwsKitError as failure:  # assuming the role failed on first use
        return Check(where, action, False, _describe(failure), list(failure.suggestions))
    except (ClientError, BotoCoreError) as exc:
        if client_error_code(exc) == "ValidationError":  # about the probe stack: IAM allowed it
            return Check(where, action, True)
        error = error_from_sdk(exc)
        if error.category is ErrorCategory.PERMISSION:
            return Check(where, action, False, "denied", [
                f"Allow {action} in the audit role's policy in {account}: member-role.yaml "
                "grants it; redeploy the role from it, or add the action to your own role.",
            ])  # fmt: skip
        return Check(where, action, False, _describe(error), list(error.suggestions))
    return Check(where, action, True)


def _describe(error: AwsKitError) -> str:
    return f"{error.code + ': ' if error.code else ''}{error.message}"
