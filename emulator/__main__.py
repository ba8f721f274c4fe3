"""`python -m emulator`: driftwarden's local AWS on 127.0.0.1.

Point the SDK at it with AWS_ENDPOINT_URL=http://127.0.0.1:PORT and any fake credentials.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from emulator.seed import AUDIT_ROLE_NAME
from emulator.server import Emulator, EmulatorOptions, load_fault_rules


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=(
            "driftwarden's local AWS: moto, extended with CloudFormation drift detection "
            "(DetectStackDrift and friends) and fault injection. A test double for AWS, "
            "not a drift engine for production."
        ),
        epilog=(
            "Use it with AWS_ENDPOINT_URL=http://127.0.0.1:PORT and any fake credentials. "
            'Fault rules file: [{"kind": "throttle", "service": "cloudformation", "rate": 0.3}, '
            '{"kind": "access_denied", "service": "sts", "operation": "AssumeRole", '
            '"account_id": "333333333333"}, {"kind": "latency", "latency_seconds": 0.05}]; '
            "kinds: throttle, access_denied, server_error, latency."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=5000, help="port (default: %(default)s)")
    parser.add_argument(
        "--detection-seconds",
        type=float,
        default=0.0,
        help="how long a drift detection stays DETECTION_IN_PROGRESS (default: %(default)s)",
    )
    parser.add_argument(
        "--cloudformation-rate",
        type=float,
        default=None,
        help="CloudFormation API requests per second allowed per account-region; beyond it "
        "requests are throttled (default: unlimited)",
    )
    parser.add_argument(
        "--cloudformation-burst",
        type=float,
        default=None,
        help="token-bucket burst for --cloudformation-rate (default: one second's worth)",
    )
    parser.add_argument(
        "--faults", type=Path, default=None, help="JSON file with a list of fault rules"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed for rate-based faults (default: 0)"
    )
    parser.add_argument(
        "--demo-organization",
        action="store_true",
        help="seed `make demo`'s organization (3 member accounts with audit roles, drifted "
        "stacks in us-east-1 and eu-west-1) to try `driftwarden scan --emulator` on",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be 1..65535, got {args.port}")
    if args.detection_seconds < 0:
        parser.error("--detection-seconds must be >= 0")
    if args.cloudformation_rate is not None and args.cloudformation_rate <= 0:
        parser.error("--cloudformation-rate must be > 0")
    return args


def seed_demo_organization(endpoint_url: str) -> str:
    """Seed the demo's organization through the server; returns how to scan it."""
    from emulator import demo

    # Fake credentials, for the seeding calls of this process only; nothing reaches AWS.
    os.environ.update(AWS_ENDPOINT_URL=endpoint_url, AWS_ACCESS_KEY_ID="AKIADEMO000000000000",
                      AWS_SECRET_ACCESS_KEY="demo-secret-key",  # noqa: S106
                      AWS_DEFAULT_REGION=demo.REGIONS[0])  # fmt: skip
    organization = demo.seed()
    accounts = " ".join(f"--account {m.account_id}" for m in organization.members)
    regions = " ".join(f"--region {r}" for r in demo.REGIONS)
    return (
        f"seeded organization {organization.organization_id}; try:\n"
        f"  driftwarden scan --emulator {endpoint_url} {accounts} {regions} "
        f"--role-name {AUDIT_ROLE_NAME} --external-id {organization.external_id}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = EmulatorOptions(
        host=args.host,
        port=args.port,
        detection_seconds=args.detection_seconds,
        cloudformation_rate=args.cloudformation_rate,
        cloudformation_burst=args.cloudformation_burst,
        fault_rules=load_fault_rules(args.faults) if args.faults else [],
        seed=args.seed,
    )
    emulator = Emulator(options).start()
    print(f"emulator listening on {emulator.endpoint_url}", flush=True)  # noqa: T201
    if args.demo_organization:
        print(seed_demo_organization(emulator.endpoint_url), flush=True)  # noqa: T201
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
