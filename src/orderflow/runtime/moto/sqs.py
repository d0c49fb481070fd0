"""SQS: the messages of a queue, read without receiving them (a peek).

SQS has no peek: ReceiveMessage, even with ``VisibilityTimeout=0``, counts a receive, and a queue with a
redrive policy moves a message to its dead-letter queue after ``maxReceiveCount`` receives, so a
console that peeked with it would change what it shows. The embedded queue's messages are read from
moto's SQS backend instead, nothing about them changed. (An accessor, not a patch: it changes no
behaviour of moto.)
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import sqs_backends


def peek_messages(
    account_id: str, region: str, queue_name: str, limit: int = 50
) -> list[dict[str, Any]] | None:
    """Up to ``limit`` messages of ``queue_name``, oldest first, as ``{"messageId", "body", "sentAt"
    (epoch ms), "receiveCount", "visible", "delayed", "attributes", "groupId"}``; None: no such queue."""
    if region not in sqs_backends[account_id]:
        return None
    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        return None
    peeked = []
    for message in list(queue._messages)[:limit]:
        peeked.append(
            {
                "messageId": message.id,
                "body": message.body,
                "sentAt": message.sent_timestamp,
                "receiveCount": message.approximate_receive_count,
                "visible": bool(message.visible) and not message.delayed,
                "delayed": bool(message.delayed),
                "attributes": {
                    name: attribute.get("string_value", attribute.get("StringValue"))
                    for name, attribute in (message.message_attributes or {}).items()
                    if isinstance(attribute, dict)
                },
                "groupId": getattr(message, "group_id", None),
            }
        )
    return peeked
