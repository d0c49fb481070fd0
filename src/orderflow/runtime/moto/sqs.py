"""SQS: the messages of a queue, read without receiving them (a peek), and every queue's depth.

SQS has no peek: ReceiveMessage, even with ``VisibilityTimeout=0``, counts a receive, and a queue with a
redrive policy moves a message to its dead-letter queue after ``maxReceiveCount`` receives, so a
console that peeked with it would change what it shows. The embedded queue's messages are read from
moto's SQS backend instead, nothing about them changed. (An accessor, not a patch: it changes no
behaviour of moto.)
"""

from __future__ import annotations

import time
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


def queue_depths(account_id: str, region: str) -> list[tuple[str, int, int, int, float | None]]:
    """Every queue's (name, visible, not visible (in flight), delayed, age of its oldest message in
    seconds or None when empty), as SQS's Approximate* attributes count them."""
    if region not in sqs_backends[account_id]:
        return []
    now_ms = time.time() * 1000
    depths: list[tuple[str, int, int, int, float | None]] = []
    for name, queue in list(sqs_backends[account_id][region].queues.items()):
        messages = list(queue._messages)
        stamps = [int(str(m.sent_timestamp)) for m in messages if m.sent_timestamp is not None]
        oldest = min(stamps) if stamps else None
        depths.append(
            (
                name,
                sum(1 for m in messages if m.visible and not m.delayed),
                sum(1 for m in messages if not m.visible),
                sum(1 for m in messages if m.delayed),
                max(0.0, (now_ms - int(oldest)) / 1000) if oldest is not None else None,
            )
        )
    return depths
