"""Sample app: SNS fan-out (tests/apps/sns_fanout). A workflow publishes each order event with a
``kind`` attribute; the topic delivers to two queues (one raw, one filtered on ``kind``) and, through
SAM's SNS event, to a function.

https://docs.aws.amazon.com/sns/latest/dg/sns-common-scenarios.html (fan-out),
https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html,
https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apps.app_support import wait_until
from tests.runtime.runtime_support import run_execution, running

TEMPLATE = Path(__file__).parent / "sns_fanout" / "template.yaml"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running(TEMPLATE, "fanout", state_dir=tmp_path_factory.mktemp("state")) as runtime:
        yield runtime


def drain(rt: Any, url: str) -> list[str]:
    sqs = rt.client("sqs")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_each_subscriber_gets_what_it_subscribed_to(rt: Any) -> None:
    sfn = rt.client("stepfunctions")
    orders = [{"order": "o-1", "kind": "billed"}, {"order": "o-1", "kind": "shipped"}]
    for order in orders:
        done = run_execution(sfn, rt.outputs["AnnounceArn"], order)
        assert done["status"] == "SUCCEEDED", done

    # Publish delivers to SQS subscriptions before it answers: both queues hold their messages now.
    billing = [json.loads(body) for body in drain(rt, rt.outputs["BillingQueueUrl"])]
    assert billing == orders, "raw delivery: the message itself, every kind"
    shipping = [json.loads(body) for body in drain(rt, rt.outputs["ShippingQueueUrl"])]
    assert [json.loads(envelope["Message"]) for envelope in shipping] == [orders[1]], "filtered on kind"
    assert shipping[0]["Type"] == "Notification" and shipping[0]["TopicArn"] == rt.outputs["TopicArn"]

    def audited() -> list[dict[str, Any]] | None:
        items = rt.client("dynamodb").scan(TableName=rt.outputs["AuditTableName"])["Items"]
        return items if len(items) >= 2 else None

    items = wait_until(audited, "the audit function's two records")
    assert sorted(item["kind"]["S"] for item in items) == ["billed", "shipped"]
    assert {item["topic"]["S"] for item in items} == {rt.outputs["TopicArn"]}
    assert sorted(json.loads(item["message"]["S"])["kind"] for item in items) == ["billed", "shipped"]
