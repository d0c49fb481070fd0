"""Patch ``sqs_send_attributes`` (orderflow.runtime.moto.sqs_send): the cost in plain moto (strict xfail)
and the patched send, which answers as moto's does while GetQueueAttributes stays exact.

The cost is counted, not timed: a message's ``visible`` and ``delayed`` are properties that read the
clock; moto's send reads them for every message already in the queue (three walks, to count the
Approximate* attributes it does not use).

- SendMessage: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
- GetQueueAttributes (ApproximateNumberOfMessages, ...Delayed, ...NotVisible):
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import Message

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import backends as moto_backends
from tests.moto_patches.support import client, gap


def messages_read_per_send(monkeypatch: pytest.MonkeyPatch, queue_length: int) -> int:
    """How many times one SendMessage reads a message's visible/delayed, on a queue of
    ``queue_length`` messages."""
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"q{queue_length}")["QueueUrl"]
    for start in range(0, queue_length, 10):
        entries = [
            {"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, min(start + 10, queue_length))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    reads = []
    for name in ("visible", "delayed"):
        moto_property = getattr(Message, name)

        def counted(self: Any, _get: Any = moto_property.fget, _name: str = name) -> bool:
            reads.append(_name)
            return bool(_get(self))

        monkeypatch.setattr(Message, name, property(counted))
    sqs.send_message(QueueUrl=url, MessageBody="one more")
    monkeypatch.undo()
    return len(reads)


def check_sqs_send_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert messages_read_per_send(monkeypatch, 50) == 0, "a send does not walk the queue"


@gap("sqs_send_attributes")
def test_sqs_send_attributes_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_sqs_send_attributes(monkeypatch)


def test_sqs_send_attributes_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("sqs_send_attributes"):
        check_sqs_send_attributes(monkeypatch)


def test_plain_moto_send_reads_every_message_three_times(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the gap test's xfail stands for: the reads grow with the queue (visible + delayed for
    ApproximateNumberOfMessages, delayed for ...Delayed, visible for ...NotVisible)."""
    assert messages_read_per_send(monkeypatch, 20) == 4 * 20
    assert messages_read_per_send(monkeypatch, 40) == 4 * 40


# --------------------------------------------------------------------- the patched send answers as moto


def depth(sqs: Any, url: str) -> tuple[int, int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesDelayed"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_get_queue_attributes_stays_exact(moto_aws: None) -> None:
    with REGISTRY.enabled("sqs_send_attributes"):
        sqs = client("sqs")
        url = sqs.create_queue(QueueName="counted")["QueueUrl"]
        assert depth(sqs, url) == (0, 0, 0)
        for body in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)
        assert depth(sqs, url) == (3, 1, 0)
        [received] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)[
            "Messages"
        ]
        assert depth(sqs, url) == (2, 1, 1)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
        assert depth(sqs, url) == (2, 1, 0)


def send_outcomes() -> list[Any]:
    """What SendMessage answers on standard and FIFO queues, refusals included (error codes)."""
    sqs = client("sqs")
    outcomes: list[Any] = []

    def send(**kwargs: Any) -> None:
        try:
            answer = sqs.send_message(**kwargs)
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
        else:
            outcomes.append(sorted(key for key in answer if key != "ResponseMetadata"))

    standard = sqs.create_queue(QueueName="standard")["QueueUrl"]
    send(QueueUrl=standard, MessageBody="x")
    send(
        QueueUrl=standard,
        MessageBody="x",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    send(QueueUrl=standard, MessageBody="x", DelaySeconds=901)
    fifo = sqs.create_queue(QueueName="explicit.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    send(QueueUrl=fifo, MessageBody="x")  # no group id
    send(QueueUrl=fifo, MessageBody="x", MessageGroupId="g")  # no deduplication id
    send(QueueUrl=fifo, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    send(QueueUrl=fifo, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=5)
    by_content = sqs.create_queue(
        QueueName="content.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    send(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")
    send(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")  # deduplicated by its content
    send(QueueUrl=by_content, MessageBody="other", MessageGroupId="g")
    outcomes.append(
        [m["Body"] for m in sqs.receive_message(QueueUrl=by_content, MaxNumberOfMessages=10)["Messages"]]
    )
    outcomes.append(depth(sqs, standard))
    return outcomes


def test_send_answers_as_plain_moto(moto_aws: None) -> None:
    plain = send_outcomes()
    moto_backends.reset()
    with REGISTRY.enabled("sqs_send_attributes"):
        patched = send_outcomes()
    assert patched == plain
    sent = ["MD5OfMessageBody", "MessageId"]
    assert patched[:4] == [
        sent,
        ["MD5OfMessageAttributes", *sent],
        "InvalidParameterValue",
        "MissingParameter",
    ]
    assert patched[4:7] == ["InvalidParameterValue", [*sent, "SequenceNumber"], "InvalidParameterValue"]
    assert patched[-2:] == [["same", "other"], (2, 0, 0)]
