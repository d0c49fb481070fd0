"""The order notifications queue (NotifyOrder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from orderflow_common.aws_errors import transient_errors
from orderflow_common.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

sqs = boto3.client("sqs")


class NotificationQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self.client: SQSClient = client or sqs

    @tracer.capture_method
    def send(self, body: str, attributes: dict[str, str]) -> str:
        """One SendMessage; returns the MessageId. String message attributes only."""
        with transient_errors("SendMessage"):
            response = self.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                },
            )
        return str(response["MessageId"])
