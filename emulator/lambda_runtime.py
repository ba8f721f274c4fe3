"""Stand-ins for what Lambda hands a handler, so the demo and tests can call handlers in process
(moto cannot invoke Lambdas without docker): the context object, SQS records of a worker
event, and API Gateway (REST) proxy events."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LambdaContext:
    """What handlers read of Lambda's context object."""

    function_name: str = "driftwarden-local"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:driftwarden-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_millis: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def receive_sqs_records(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Up to ten queued messages, removed from the queue, as the records of an SQS event."""
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    records = []
    for message in got.get("Messages", []):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        records.append({"messageId": message["MessageId"], "receiptHandle": "local",
                        "body": message["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:local",
                        "awsRegion": "us-east-1"})  # fmt: skip
    return records


def api_gateway_event(
    method: str, path: str, query: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    """A REST API proxy event for `method path?query` with a JSON body."""
    return {
        "httpMethod": method,
        "path": path,
        "resource": "/{proxy+}",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "requestContext": {
            "httpMethod": method,
            "path": path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
