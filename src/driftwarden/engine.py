"""The drift engine: audits targets (account-regions) through each member account's audit role.

Each target gets its own budget (calls and detections in flight, adapting to throttling) and
poll timer; each account gets one circuit breaker shared by its regions, so a broken account
fails fast while the others go on. Targets run in parallel threads; within a target one loop
drives many detections at once (see target_audit.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from awskit.clients import AWSClientManager, role_arn_for
from awskit.errors import AwsKitError
from awskit.retry import CircuitBreaker
from awskit.services.cloudformation import CloudFormationService
from driftwarden.budget import AccountRegionBudget, BudgetSettings
from driftwarden.models import ErrorInfo, TargetResult
from driftwarden.polling import DetectionTimer
from driftwarden.target_audit import AuditClock, TargetAudit
from driftwarden.targets import Target, TargetSelection

if TYPE_CHECKING:
    from driftwarden.ignore_rules import IgnoreRule

ManagerForAccount = Callable[[str], AWSClientManager]
# Told (target, root stacks done, root stacks in all) as an audit goes: for progress bars.
ProgressListener = Callable[[Target, int, int], None]


@dataclass(frozen=True)
class EngineSettings:
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    first_poll_seconds: float = 1.0
    max_poll_interval_seconds: float = 30.0
    deadline_margin_seconds: float = 20.0  # stop this long before the caller's deadline
    max_parallel_targets: int = 16
    breaker_failure_threshold: int = 5
    breaker_recovery_seconds: float = 60.0


def audit_client_manager(**kwargs: Any) -> AWSClientManager:
    """The source identity's client manager for audits.

    Its clients make one attempt per call: the engine's budget retries throttles and transient
    errors itself, because it must see every throttle to slow down, and two retry loops would
    multiply attempts.
    """
    return AWSClientManager(max_attempts=1, **kwargs)


def role_sessions(
    source: AWSClientManager,
    role_name: str,
    external_id: str | None,
    session_name: str = "driftwarden",
) -> ManagerForAccount:
    """account id -> a manager acting as `role_name` there, assumed with the ExternalId."""

    def manager_for(account_id: str) -> AWSClientManager:
        return source.for_role(
            role_arn_for(account_id, role_name),
            external_id=external_id,
            session_name=session_name,
        )

    return manager_for


class DriftEngine:
    def __init__(
        self,
        manager_for: ManagerForAccount,
        settings: EngineSettings | None = None,
        *,
        selection: TargetSelection | None = None,
        ignore_rules: Sequence[IgnoreRule] = (),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.manager_for = manager_for
        self.settings = settings or EngineSettings()
        self.selection = selection
        self.ignore_rules = ignore_rules
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def breaker_for(self, account_id: str) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(account_id)
            if breaker is None:
                breaker = self._breakers[account_id] = CircuitBreaker(
                    self.settings.breaker_failure_threshold,
                    self.settings.breaker_recovery_seconds,
                    name=f"account {account_id}",
                    clock=self._clock,
                )
        return breaker

    def audit_target(
        self,
        target: Target,
        remaining_seconds: Callable[[], float] | None = None,
        *,
        start_detections: bool = True,
        max_stacks: int | None = None,
        progress: ProgressListener | None = None,
    ) -> TargetResult:
        """Audit one target; with `remaining_seconds`, stop in time and hand back the rest.
        Without `start_detections`, read what the stacks' latest detections found. With
        `max_stacks`, root stacks beyond that many are handed back unchecked (for batches)."""
        clock = AuditClock(
            monotonic=self._clock,
            wall=self._wall_clock,
            sleep=self._sleep,
            remaining_seconds=remaining_seconds,
            margin_seconds=self.settings.deadline_margin_seconds,
        )
        started = self._wall_clock()
        try:
            cloudformation = CloudFormationService(
                self.manager_for(target.account_id), target.region
            )
        except AwsKitError as error:
            return TargetResult(
                account_id=target.account_id,
                region=target.region,
                started_at=started,
                finished_at=self._wall_clock(),
                error=ErrorInfo.from_error(error),
            )
        audit = TargetAudit(
            target,
            cloudformation,
            AccountRegionBudget(self.settings.budget, clock=self._clock, sleep=self._sleep),
            self.breaker_for(target.account_id),
            clock,
            timer=DetectionTimer(
                first_poll_seconds=self.settings.first_poll_seconds,
                max_interval_seconds=self.settings.max_poll_interval_seconds,
            ),
            selection=self.selection,
            ignore_rules=self.ignore_rules,
            start_detections=start_detections,
            max_trees=max_stacks,
            on_progress=(lambda done, total: progress(target, done, total)) if progress else None,
        )
        return audit.run()

    def audit(
        self,
        targets: Sequence[Target],
        remaining_seconds: Callable[[], float] | None = None,
        progress: ProgressListener | None = None,
    ) -> list[TargetResult]:
        """Audit targets in parallel; results come back in the order of `targets`."""
        if not targets:
            return []
        workers = min(len(targets), self.settings.max_parallel_targets)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit") as pool:
            return list(pool.map(
                lambda t: self.audit_target(t, remaining_seconds, progress=progress), targets
            ))  # fmt: skip
