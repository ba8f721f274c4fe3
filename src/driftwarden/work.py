"""Units of work on the SQS queue: one target (or a batch of a target's stacks) of a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from awskit.errors import DependencyError, ErrorContext, error_from_sdk
from driftwarden.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

_BATCH = 10  # SendMessageBatch's limit


class WorkItem(BaseModel):
    """What a worker audits: an account-region (some of its stacks, or all) within a run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    stack_names: tuple[str, ...] = ()
    attempt: int = 0  # how many continuations came before this one
    # Read what a detection someone else just ran found, instead of starting one.
    read_existing: bool = False

    @property
    def target(self) -> Target:
        return Target(account_id=self.account_id, region=self.region, stack_names=self.stack_names)


class WorkQueue:
    def __init__(self, sqs: SQSClient, queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url

    def send(self, items: Sequence[WorkItem]) -> int:
        context = ErrorContext(operation="SendMessageBatch", service="sqs", resource=self.queue_url)
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(number), "MessageBody": item.model_dump_json()}
                for number, item in enumerate(batch)
            ]
            try:
                response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise error_from_sdk(exc, context) from exc
            failed = response.get("Failed", [])
            if failed:
                raise DependencyError(
                    f"{len(failed)} work item(s) were not queued: "
                    + "; ".join(f"{f['Code']}: {f.get('Message', '')}" for f in failed),
                    context=context,
                )
        return len(items)
