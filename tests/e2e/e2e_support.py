"""What the end-to-end tests share: the booted stack's handle (Stack) and polling with a deadline.

The runtime embeds moto in this process (its patches and backends are process-global), so the
stack is *package*-scoped rather than session-scoped: it is stopped as soon as the last test of
tests/e2e has run, before any later unit test opens its own ``mock_aws()``.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest

from orderflow.api import ApiServer
from orderflow.api.client import ApiClient
from orderflow.polling import WaitTimeout, wait_until
from orderflow.runtime import mails_to
from tests.support.order_data import OrderDataMixin

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PROBE = Path(__file__).resolve().parent / "probe" / "run_probe.py"
FINAL = {"CONFIRMED", "REJECTED", "FAILED"}
POLL_S = 0.02
T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``check`` (every 20 ms) until it returns something truthy; fail at the deadline."""
    try:
        return wait_until(check, timeout=timeout, what=what, interval=POLL_S)
    except WaitTimeout:
        pytest.fail(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Stack(OrderDataMixin):
    runtime: Any
    api_server: ApiServer
    api: ApiClient
    endpoint: str
    region: str = "us-east-1"
    notifications: list[dict[str, Any]] = field(default_factory=list)
    probe: subprocess.Popen[str] | None = None  # tests/e2e/probe, booted beside this stack

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region)

    def table(self, logical_id: str) -> Any:
        resource = boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name=self.region)
        return resource.Table(self.runtime.resources[logical_id])

    def seed_products(self, **stock: int) -> dict[str, str]:
        """Products named by the keywords (price 2.50 each), ids unique to the caller: name -> id."""
        prefix = uuid.uuid4().hex[:8]
        ids = {name: f"{prefix}-{name}" for name in stock}
        with self.table("ProductsTable").batch_writer() as batch:
            for name, count in stock.items():
                batch.put_item(
                    Item={"productId": ids[name], "name": name, "price": Decimal("2.50"), "stock": count}
                )
        return ids

    def take_back(self, queue: str, body: str) -> int:
        """Delete the messages with ``body`` a test put on the shared stack's queue ``queue`` (a
        logical id), leaving every other message visible; how many were deleted. Not PurgeQueue: SQS
        allows one purge per queue a minute, and two tests purging one queue failed the second."""
        sqs = self.client("sqs")
        url = self.runtime.resources[queue]
        deleted, seen = 0, set()
        while True:
            batch = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                return deleted
            for message in fresh:
                seen.add(message["MessageId"])
                if message["Body"] == body:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    deleted += 1

    def drain_notifications(self) -> list[dict[str, Any]]:
        """Every message that reached the notifications queue so far (kept across calls)."""
        sqs = self.client("sqs")
        url = self.runtime.resources["OrderNotificationsQueue"]
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return self.notifications
            for message in messages:
                self.notifications.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def final_status(self, order_id: str, timeout: float = 15.0) -> tuple[dict[str, Any], list[str]]:
        """Poll GET /orders/{id} until final: (last body, every status seen, in order)."""
        seen: list[str] = []

        def settled() -> dict[str, Any] | None:
            status, body = self.api.get(f"/orders/{order_id}")
            assert status == 200, (status, body)
            seen.append(body["status"])
            return body if body["status"] in FINAL else None

        body = eventually(settled, timeout, f"order {order_id} to finish")
        return body, seen

    def execution_count(self) -> int:
        sfn, arn = self.client("stepfunctions"), self.runtime.outputs["OrderWorkflowArn"]
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
        return sum(len(page["executions"]) for page in pages)

    def mails_to(self, address: str) -> list[dict[str, Any]]:
        return mails_to(self.runtime.outbox(), address)
