"""SNS fan-out, through orderflow's pytest plugin:
pytest --orderflow-template template.yaml

A workflow publishes each order event with a ``kind`` attribute; the topic delivers to two queues (one
raw, one filtered on ``kind``) and, through SAM's SNS event, to a function.
https://docs.aws.amazon.com/sns/latest/dg/sns-common-scenarios.html (fan-out),
https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html,
https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
"""

import json
import threading
import time


def wait_until(condition, what, deadline=20.0):
    pause, end = threading.Event(), time.monotonic() + deadline
    while not (value := condition()):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        pause.wait(0.05)
    return value


def drain(stack, output):
    sqs, url, bodies = stack.client("sqs"), stack.outputs[output], []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_each_subscriber_gets_what_it_subscribed_to(orderflow_stack):
    orders = [{"order": "o-1", "kind": "billed"}, {"order": "o-1", "kind": "shipped"}]
    for order in orders:
        assert orderflow_stack.start_execution("Announce", order).wait(30)["status"] == "SUCCEEDED"

    # Publish delivers to SQS subscriptions before it answers: both queues hold their messages now.
    assert drain(orderflow_stack, "BillingQueueUrl") == orders, "raw delivery: the message itself, every kind"
    shipping = drain(orderflow_stack, "ShippingQueueUrl")
    assert [json.loads(envelope["Message"]) for envelope in shipping] == [orders[1]], "filtered on kind"
    topic = orderflow_stack.outputs["TopicArn"]
    assert shipping[0]["Type"] == "Notification" and shipping[0]["TopicArn"] == topic

    dynamodb, table = orderflow_stack.client("dynamodb"), orderflow_stack.outputs["AuditTableName"]
    items = wait_until(
        lambda: len(found := dynamodb.scan(TableName=table)["Items"]) >= 2 and found,
        "the audit function's two records",
    )
    assert sorted(item["kind"]["S"] for item in items) == ["billed", "shipped"]
    assert {item["topic"]["S"] for item in items} == {topic}
    assert sorted(json.loads(item["message"]["S"])["kind"] for item in items) == ["billed", "shipped"]
