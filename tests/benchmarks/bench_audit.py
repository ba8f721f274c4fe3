"""`make bench`: the drift engine against its floor, a sequential baseline, and a memory cap.

The emulator (a separate process, over HTTP, so it does not share this one's CPU time and
memory) simulates a drift detection time and a per
account-region CloudFormation rate limit (token bucket). Figures, all measured in this run:

(a) wall time of the engine's audit against the floor those limits allow: no schedule can
    issue a target's minimum number of calls faster than the bucket refills, nor finish its
    last detection sooner than the bucket lets it start plus the detection time;
(b) the engine against a sequential detect-then-poll baseline like the seed's (one stack at a
    time, fixed 2 s poll, same simulated times). The baseline is timed on a sample of stacks
    and scaled by the stack count: it is sequential, so its time is linear in stacks;
(c) peak memory of an audit of 1,000 stacks: the tracemalloc peak of this process, which runs
    the audit and nothing else while it is measured.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from driftwarden.engine import DriftEngine, audit_client_manager, role_sessions
from driftwarden.models import TargetResult
from driftwarden.targets import Target
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)
from emulator.server import free_port

REGIONS = ("us-east-1", "eu-west-1")
DRIFT_EVERY = 5  # every fifth stack gets an out-of-band change
BASELINE_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class Limits:
    rate: float  # CloudFormation calls per second per account-region
    burst: float
    detection_seconds: float


def floor_seconds(stacks_per_target: int, limits: Limits, page_size: int = 50) -> float:
    """A lower bound on the time any schedule needs for one target (targets run side by side
    with buckets of their own). Three bounds, the largest wins:
    - every call needs a token: (calls - burst) / rate;
    - the last detection starts no sooner than the bucket allows, then takes its time;
    - each status answer and drift read of a stack comes after its detection finished, so
      not before the detection time; by then at most `burst` tokens are banked.
    """
    pages = max(1, math.ceil(stacks_per_target / page_size))
    after_detection = 2 * stacks_per_target  # a status answer and a drift read per stack
    calls = pages + stacks_per_target + after_detection
    by_calls = max(0.0, calls - limits.burst) / limits.rate
    last_start = max(0.0, pages + stacks_per_target - limits.burst) / limits.rate
    by_last_start = last_start + limits.detection_seconds
    by_results = limits.detection_seconds + max(0.0, after_detection - limits.burst) / limits.rate
    return max(by_calls, by_last_start, by_results)


@contextmanager
def emulator_process(limits: Limits) -> Iterator[str]:
    """`python -m emulator` with the given limits; yields its endpoint URL."""
    port = free_port()
    command = [sys.executable, "-m", "emulator", "--port", str(port),
               "--detection-seconds", str(limits.detection_seconds),
               "--cloudformation-rate", str(limits.rate),
               "--cloudformation-burst", str(limits.burst)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the emulator did not start")
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def seed_stacks(organization: SeededOrganization, first: int, count: int) -> None:
    for member in organization.members:
        for region in REGIONS:
            admin = member_session(member.account_id, region)
            for number in range(first, first + count):
                name = f"svc-{number:04d}"
                deploy_stack(admin, region, name, ["Queue"])
                if number % DRIFT_EVERY == 0:
                    make_drift(admin, region, name, "Queue")


def targets(organization: SeededOrganization) -> list[Target]:
    return [
        Target(account_id=m.account_id, region=r) for m in organization.members for r in REGIONS
    ]


def timed(fn: Callable[[], list[TargetResult]]) -> tuple[float, list[TargetResult]]:
    started = time.perf_counter()
    results = fn()
    return time.perf_counter() - started, results


def sequential_baseline_seconds_per_stack(organization: SeededOrganization, sample: int) -> float:
    """The seed's way: one stack at a time, detect, sleep 2 s between polls, read drifts."""
    member = organization.members[0]
    source = boto3.Session()
    credentials = source.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member.account_id}:role/{AUDIT_ROLE_NAME}",
        RoleSessionName="baseline", ExternalId=organization.external_id,
    )["Credentials"]  # fmt: skip
    cloudformation = boto3.client(
        "cloudformation",
        region_name=REGIONS[0],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    started = time.perf_counter()
    for number in range(sample):
        detection = cloudformation.detect_stack_drift(StackName=f"svc-{number:04d}")
        while True:
            time.sleep(BASELINE_POLL_SECONDS)
            status = cloudformation.describe_stack_drift_detection_status(
                StackDriftDetectionId=detection["StackDriftDetectionId"]
            )
            if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
                break
        cloudformation.describe_stack_resource_drifts(StackName=f"svc-{number:04d}")
    return (time.perf_counter() - started) / sample


def report_results(results: list[TargetResult]) -> str:
    stacks = sum(len(r.stacks) for r in results)
    drifted = sum(r.count(r.stacks[0].state.DRIFTED) for r in results if r.stacks)
    errors = [r for r in results if r.error or r.continuation]
    calls = sum(r.api_calls for r in results)
    throttled = sum(r.throttled_calls for r in results)
    return (
        f"{stacks} stacks checked, {drifted} drifted, {len(errors)} targets with errors; "
        f"{calls} CloudFormation calls, {throttled} throttled"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--stacks", type=int, default=25, help="per account-region")
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=float, default=10.0)
    parser.add_argument("--detection-seconds", type=float, default=3.0)
    parser.add_argument("--baseline-sample", type=int, default=3)
    parser.add_argument("--memory-stacks", type=int, default=1000, help="0 skips the memory run")
    args = parser.parse_args()
    limits = Limits(args.rate, args.burst, args.detection_seconds)

    os.environ.update(
        AWS_ACCESS_KEY_ID="AKIABENCH00000000000",
        AWS_SECRET_ACCESS_KEY="bench-secret-key",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_EC2_METADATA_DISABLED="true",
    )
    targets_count = args.accounts * len(REGIONS)
    total = targets_count * args.stacks
    print(f"driftwarden bench: {args.accounts} accounts x {len(REGIONS)} regions x "  # noqa: T201
          f"{args.stacks} stacks = {total} stacks; rate limit {limits.rate:g}/s "
          f"(burst {limits.burst:g}) per account-region; detection "
          f"{limits.detection_seconds:g}s")  # fmt: skip
    with emulator_process(limits):
        organization = seed_organization(member_count=args.accounts)
        seed_stacks(organization, 0, args.stacks)
        sessions = role_sessions(
            audit_client_manager(region=REGIONS[0]), AUDIT_ROLE_NAME, organization.external_id
        )
        wall, results = timed(lambda: DriftEngine(sessions).audit(targets(organization)))
        floor = floor_seconds(args.stacks, limits)
        print(f"  engine: {wall:.2f}s  ({report_results(results)})")  # noqa: T201
        print(f"  (a) floor {floor:.2f}s -> engine/floor = {wall / floor:.2f}x "  # noqa: T201
              "(target <= 1.3x)")  # fmt: skip
        per_stack = sequential_baseline_seconds_per_stack(organization, args.baseline_sample)
        baseline = per_stack * total
        print(f"  (b) sequential baseline: {per_stack:.2f}s per stack (timed on "  # noqa: T201
              f"{args.baseline_sample}) x {total} = {baseline:.0f}s -> "
              f"engine is {baseline / wall:.1f}x faster (target >= 10x)")  # fmt: skip

    if args.memory_stacks:
        per_target = math.ceil(args.memory_stacks / targets_count)
        with emulator_process(Limits(rate=50.0, burst=50.0, detection_seconds=1.0)):
            organization = seed_organization(member_count=args.accounts)
            seed_stacks(organization, 0, per_target)
            sessions = role_sessions(
                audit_client_manager(region=REGIONS[0]), AUDIT_ROLE_NAME, organization.external_id
            )
            engine = DriftEngine(sessions)
            tracemalloc.start()
            mem_wall, results = timed(lambda: engine.audit(targets(organization)))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        print(f"  (c) {per_target * targets_count} stacks audited in {mem_wall:.1f}s "  # noqa: T201
              f"({report_results(results)}); peak memory {peak / 2**20:.1f} MiB "
              "(target < 150 MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
