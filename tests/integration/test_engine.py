"""The drift engine against the emulator, across real account boundaries (assumed roles)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto.cloudformation.models import cloudformation_backends

from driftwarden.budget import BudgetSettings
from driftwarden.engine import DriftEngine, EngineSettings, audit_client_manager, role_sessions
from driftwarden.ignore_rules import IgnoreRule
from driftwarden.models import ResourceStatus, StackResult, StackState, TargetResult
from driftwarden.target_audit import ADOPTED
from driftwarden.targets import Target, TargetSelection
from emulator import drift
from emulator.faults import FaultInjector, FaultKind, FaultRule
from emulator.seed import (
    AUDIT_ROLE_NAME,
    SeededOrganization,
    delete_resource,
    deploy_nested_stack,
    deploy_stack,
    make_drift,
    member_session,
    seed_organization,
)

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
FAST = EngineSettings(first_poll_seconds=0.05, budget=BudgetSettings(initial_rate=50, burst=20))


@pytest.fixture
def organization(aws_emulator: FaultInjector) -> SeededOrganization:
    drift.SETTINGS.detection_seconds = 0.1
    return seed_organization(member_count=3)


def engine(
    organization: SeededOrganization, settings: EngineSettings = FAST, **options: Any
) -> DriftEngine:
    source = audit_client_manager(region=REGION)
    sessions = role_sessions(source, AUDIT_ROLE_NAME, organization.external_id)
    return DriftEngine(sessions, settings, **options)


def admin(organization: SeededOrganization, member: int = 0) -> boto3.Session:
    return member_session(organization.members[member].account_id, REGION)


def target(organization: SeededOrganization, member: int = 0, **fields: Any) -> Target:
    return Target(account_id=organization.members[member].account_id, region=REGION, **fields)


def by_name(result: TargetResult) -> dict[str, StackResult]:
    return {stack.stack_name: stack for stack in result.stacks}


def test_every_stack_gets_a_verdict_with_its_exact_differences(
    organization: SeededOrganization,
) -> None:
    # Given stacks that are in sync, drifted, deleted-from, and partly or wholly uncheckable
    session = admin(organization)
    deploy_stack(session, REGION, "clean", ["Queue", "Topic"])
    deploy_stack(session, REGION, "drifted", ["Queue", "Parameter"])
    make_drift(session, REGION, "drifted", "Parameter")
    deploy_stack(session, REGION, "gone", ["LogGroup", "Queue"])
    delete_resource(session, REGION, "gone", "LogGroup")
    deploy_stack(session, REGION, "partly", ["Queue", "Network"])
    deploy_stack(session, REGION, "vpc-only", ["Network"])

    # When the engine audits the account-region through the audit role
    result = engine(organization).audit_target(target(organization))

    # Then every stack has a verdict, and unchecked resources are never hidden behind IN_SYNC
    stacks = by_name(result)
    assert result.error is None
    assert result.continuation == []
    assert {name: s.state for name, s in stacks.items()} == {
        "clean": StackState.IN_SYNC,
        "drifted": StackState.DRIFTED,
        "gone": StackState.DRIFTED,
        "partly": StackState.PARTIAL,
        "vpc-only": StackState.NOT_CHECKED,
    }
    [parameter] = stacks["drifted"].drifted_resources
    assert parameter.logical_resource_id == "Parameter"
    [difference] = parameter.differences
    assert (difference.property_path, difference.expected_value, difference.actual_value,
            difference.difference_type) == ("/Value", "blue", "green", "NOT_EQUAL")  # fmt: skip
    assert [r.status for r in stacks["gone"].drifted_resources] == [ResourceStatus.DELETED]
    assert stacks["partly"].coverage.checked == 1
    assert stacks["partly"].coverage.not_checked == 1
    assert stacks["clean"].coverage.unchecked == 0
    assert all(s.account_id == organization.members[0].account_id for s in result.stacks)


def test_busy_stacks_are_skipped_not_failed(organization: SeededOrganization) -> None:
    session = admin(organization)
    deploy_stack(session, REGION, "settled", ["Queue"])
    deploy_stack(session, REGION, "updating", ["Queue"])
    account = organization.members[0].account_id
    cloudformation_backends[account][REGION].get_stack("updating").status = "UPDATE_IN_PROGRESS"

    result = engine(organization).audit_target(target(organization))

    assert list(by_name(result)) == ["settled"]
    [skipped] = result.skipped
    assert (skipped.stack_name, skipped.stack_status) == ("updating", "UPDATE_IN_PROGRESS")
    assert "busy" in skipped.reason
    assert result.error is None


def test_a_detection_already_running_is_adopted(organization: SeededOrganization) -> None:
    # Given a detection someone else started, still running when the audit begins
    drift.SETTINGS.detection_seconds = 1.5
    session = admin(organization)
    deploy_stack(session, REGION, "shared", ["Queue"])
    make_drift(session, REGION, "shared", "Queue")
    session.client("cloudformation").detect_stack_drift(StackName="shared")

    result = engine(organization).audit_target(target(organization))

    [stack] = result.stacks
    assert stack.detection_status == ADOPTED
    assert stack.state is StackState.DRIFTED
    assert [r.logical_resource_id for r in stack.drifted_resources] == ["Queue"]


def test_detection_failed_keeps_partial_results_and_says_which_resource_failed(
    organization: SeededOrganization,
) -> None:
    drift.SETTINGS.failing_resource_types = {"AWS::SNS::Topic": "Internal failure"}
    session = admin(organization)
    deploy_stack(session, REGION, "mixed", ["Queue", "Topic"])
    make_drift(session, REGION, "mixed", "Queue")

    [stack] = engine(organization).audit_target(target(organization)).stacks

    assert stack.detection_status == "DETECTION_FAILED"
    assert stack.state is StackState.DRIFTED  # the partial result still shows the drift
    failed = [r for r in stack.resources if r.status is ResourceStatus.FAILED]
    assert [(r.logical_resource_id, r.failure_reason) for r in failed] == [
        ("Topic", "Internal failure")
    ]
    assert stack.coverage.failed == 1
    assert stack.coverage.checked == 1


def test_nested_stacks_are_detected_one_by_one_and_rolled_up_to_the_root(
    organization: SeededOrganization,
) -> None:
    session = admin(organization)
    deploy_stack(session, REGION, "app", ["Queue"])
    child = deploy_nested_stack(session, REGION, "app", "Config", ["Parameter"])
    grandchild = deploy_nested_stack(session, REGION, child, "Logs", ["LogGroup"])
    make_drift(session, REGION, child, "Parameter")

    result = engine(organization).audit_target(target(organization))

    [app] = result.stacks  # nested stacks are not reported on their own
    assert app.stack_name == "app"
    assert app.state is StackState.DRIFTED
    assert {(n.stack_name, n.state) for n in app.nested_stacks} == {
        (child, StackState.DRIFTED),
        (grandchild, StackState.IN_SYNC),
    }
    assert [(r.stack_name, r.logical_resource_id) for r in app.drifted_resources] == [
        (child, "Parameter")
    ]
    assert app.coverage.checked == 3


def test_a_denied_account_is_reported_while_the_others_are_audited(
    organization: SeededOrganization, aws_emulator: FaultInjector
) -> None:
    for member in range(3):
        deploy_stack(admin(organization, member), REGION, f"stack-{member}", ["Queue"])
    denied = organization.members[2].account_id
    aws_emulator.add(
        FaultRule(FaultKind.ACCESS_DENIED, service="sts", operation="AssumeRole", account_id=denied)
    )

    results = engine(organization).audit([target(organization, m) for m in range(3)])

    assert [len(r.stacks) for r in results] == [1, 1, 0]
    assert results[0].error is None
    assert results[1].error is None
    error = results[2].error
    assert error is not None
    assert error.category == "PERMISSION"
    assert any("ExternalId" in suggestion for suggestion in error.suggestions)


def test_with_30_percent_throttling_every_stack_still_gets_a_result(
    organization: SeededOrganization, aws_emulator: FaultInjector
) -> None:
    session = admin(organization)
    names = [f"svc-{n:02d}" for n in range(12)]
    for name in names:
        deploy_stack(session, REGION, name, ["Queue"])
    aws_emulator.add(FaultRule(FaultKind.THROTTLE, service="cloudformation", rate=0.3))

    result = engine(organization).audit_target(target(organization))

    assert result.error is None
    assert sorted(by_name(result)) == names
    assert result.throttled_calls > 0


def countdown(calls: int) -> Callable[[], float]:
    """A deadline that arrives after `calls` looks at the clock."""
    left = [calls]

    def remaining_seconds() -> float:
        left[0] -= 1
        return 600.0 if left[0] > 0 else 0.0

    return remaining_seconds


def test_an_interrupted_audit_continues_and_no_stack_is_lost_or_counted_twice(
    organization: SeededOrganization,
) -> None:
    # Detections finish at once, so each stack takes exactly three steps: start, poll, read.
    drift.SETTINGS.detection_seconds = 0
    session = admin(organization)
    names = sorted(f"svc-{n:02d}" for n in range(10))
    for name in names:
        deploy_stack(session, REGION, name, ["Queue"])
    audit = engine(organization)

    # When the first audit runs out of time part-way
    first = audit.audit_target(target(organization), remaining_seconds=countdown(20))
    # Then the rest comes back as a continuation, which a second audit finishes
    assert first.continuation
    assert first.stacks
    second = audit.audit_target(target(organization, stack_names=tuple(first.continuation)))

    checked = [s.stack_name for s in first.stacks] + [s.stack_name for s in second.stacks]
    assert sorted(checked) == names  # every stack once: none lost, none twice
    assert second.continuation == []


def test_a_broken_account_fails_fast_and_the_others_go_on(
    organization: SeededOrganization, aws_emulator: FaultInjector
) -> None:
    for member in (0, 1):
        deploy_stack(admin(organization, member), REGION, "svc", ["Queue"])
    broken = organization.members[1].account_id
    aws_emulator.add(FaultRule(FaultKind.SERVER_ERROR, service="cloudformation", account_id=broken))
    settings = EngineSettings(
        first_poll_seconds=0.05,
        breaker_failure_threshold=1,
        budget=BudgetSettings(initial_rate=50, burst=20, max_attempts=2),
    )
    audit = engine(organization, settings)

    healthy = audit.audit_target(target(organization, 0))
    first_region = audit.audit_target(target(organization, 1))
    second_region = audit.audit_target(Target(account_id=broken, region="us-east-1"))

    assert healthy.error is None
    assert len(healthy.stacks) == 1
    assert first_region.error is not None
    assert first_region.error.code == "ServiceUnavailable"
    # The account's circuit opened: its next target fails fast, without calling AWS at all
    assert second_region.error is not None
    assert second_region.error.category == "DEPENDENCY"
    assert second_region.api_calls == 0
    assert audit.breaker_for(organization.members[0].account_id).state.value == "CLOSED"


def test_ignore_rules_mark_differences_and_an_accepted_drift_is_not_drift(
    organization: SeededOrganization,
) -> None:
    session = admin(organization)
    deploy_stack(session, REGION, "tuned", ["Queue"])
    make_drift(session, REGION, "tuned", "Queue")
    rule = IgnoreRule(reason="autoscaler tunes it", resource_type="AWS::SQS::Queue",
                      property_path="/VisibilityTimeout")  # fmt: skip

    [stack] = engine(organization, ignore_rules=[rule]).audit_target(target(organization)).stacks

    assert stack.state is StackState.IN_SYNC
    [queue] = stack.resources
    assert [d.ignored_by for d in queue.differences] == ["autoscaler tunes it"]


def test_stack_filters_choose_root_stacks_by_name_and_tag(
    organization: SeededOrganization,
) -> None:
    session = admin(organization)
    deploy_stack(session, REGION, "prod-api", ["Queue"], tags={"team": "core"})
    deploy_stack(session, REGION, "prod-web", ["Queue"], tags={"team": "web"})
    deploy_stack(session, REGION, "dev-api", ["Queue"], tags={"team": "core"})
    selection = TargetSelection(
        regions=(REGION,), stack_name_globs=("prod-*",), stack_tags={"team": "core"}
    )

    result = engine(organization, selection=selection).audit_target(target(organization))

    assert list(by_name(result)) == ["prod-api"]


def test_too_many_concurrent_detections_lowers_the_in_flight_cap_and_loses_nothing(
    organization: SeededOrganization,
) -> None:
    drift.SETTINGS.max_concurrent_detections = 3
    session = admin(organization)
    names = [f"svc-{n:02d}" for n in range(8)]
    for name in names:
        deploy_stack(session, REGION, name, ["Queue"])

    result = engine(organization).audit_target(target(organization))

    assert result.error is None
    assert sorted(by_name(result)) == names
    assert result.detection_limit_hits > 0
