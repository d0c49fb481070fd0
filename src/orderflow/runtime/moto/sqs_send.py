"""Speed-up of moto's SQS SendMessage: a send no longer walks every message of the queue.

moto's ``SQSBackend.send_message`` (and, for a FIFO queue, ``_validate_message``) reads one queue
attribute, ``ContentBasedDeduplication``, as ``queue.attributes.get(...)``. ``Queue.attributes``
builds every attribute, including ApproximateNumberOfMessages, ...Delayed and ...NotVisible, each
counted by walking every message of the queue (and checking the clock per message). So each send costs
O(queue length): measured over the wire, 4 ms per SendMessage on an empty queue and 40 ms at 2,000
messages (issue 21); the runtime's notification queue is never consumed locally, so every order of a
long session made the next one slower.

With ``sqs_send_attributes`` on, the send path reads that one attribute as ``Queue.attributes`` would
report it (:func:`content_based_deduplication`): present only on a FIFO queue, ``"true"``/``"false"``.
Everything else is moto 5.2.5's code unchanged. GetQueueAttributes still reads ``Queue.attributes``
and so stays exact. Left as moto has it: a FIFO queue's ``Queue.add_message`` reads the attributes
once more, beside its own walk of the queue for deduplication (SQS's five-minute deduplication
interval, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html),
so a FIFO send stays O(queue length); this project's queues are standard queues.
"""

from __future__ import annotations

import hashlib
import string
from typing import Any

from moto.moto_api._internal import mock_random as random
from moto.sqs.exceptions import InvalidParameterValue, MissingParameter
from moto.sqs.models import MAXIMUM_MESSAGE_DELAY, Message, Queue, SQSBackend

from .registry import REGISTRY, Patch, Patcher

__all__ = ["SQS_SEND_ATTRIBUTES", "content_based_deduplication"]


def content_based_deduplication(queue: Queue) -> str | None:
    """``queue.attributes.get("ContentBasedDeduplication")`` without counting the queue's messages:
    None for a standard queue (the attribute is a FIFO one), else ``"true"`` or ``"false"``."""
    if not queue.fifo_queue:
        return None
    value = queue.content_based_deduplication  # type: ignore[attr-defined]
    return str(value).lower() if isinstance(value, bool) else value


def _validate_message(
    self: SQSBackend,
    queue: Queue,
    message_body: str,
    delay_seconds: int,
    deduplication_id: str | None = None,
    group_id: str | None = None,
    validate_group_id: bool = True,
) -> None:
    # moto 5.2.5's SQSBackend._validate_message, queue.attributes.get(...) read as above
    if queue.fifo_queue:
        content_based = content_based_deduplication(queue)
        if content_based == "false" and not group_id:
            raise MissingParameter("MessageGroupId")

        if content_based == "false" and group_id and not deduplication_id:
            msg = (
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
            raise InvalidParameterValue(msg)

        if delay_seconds > 0:
            raise InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. Reason: "
                "The request include parameter that is not valid for this queue type."
            )

    if len(message_body) > queue.maximum_message_size:  # type: ignore[attr-defined]
        msg = (
            "One or more parameters are invalid. Reason: Message must be shorter than "
            f"{queue.maximum_message_size} bytes."  # type: ignore[attr-defined]
        )
        raise InvalidParameterValue(msg)

    if group_id is None and queue.fifo_queue:
        # MessageGroupId is a mandatory parameter for all messages in a fifo queue
        raise MissingParameter("MessageGroupId")


def _send_message(
    self: SQSBackend,
    queue_name: str,
    message_body: str,
    message_attributes: dict[str, Any] | None = None,
    delay_seconds: int | None = None,
    deduplication_id: str | None = None,
    group_id: str | None = None,
    system_attributes: dict[str, Any] | None = None,
    validate_group_id: bool = True,
) -> Message:
    # moto 5.2.5's SQSBackend.send_message, queue.attributes.get(...) read as above
    queue = self.get_queue(queue_name)

    self._validate_message(
        queue,
        message_body=message_body,
        delay_seconds=int(delay_seconds or 0),
        deduplication_id=deduplication_id,
        group_id=group_id,
        validate_group_id=validate_group_id,
    )

    delay_seconds = int(delay_seconds) if delay_seconds is not None else queue.delay_seconds  # type: ignore[attr-defined]

    message_id = str(random.uuid4())
    message = Message(message_id, message_body, system_attributes)

    # if content based deduplication is set then the message's SHA-256 is its deduplication id
    if content_based_deduplication(queue) == "true":
        sha256 = hashlib.sha256()
        sha256.update(message_body.encode("utf-8"))
        message.deduplication_id = sha256.hexdigest()

    # Attributes, but not *message* attributes
    if deduplication_id is not None:
        message.deduplication_id = deduplication_id
        message.sequence_number = "".join(random.choice(string.digits) for _ in range(20))

    if group_id is not None:
        message.group_id = group_id

    if message_attributes:
        message.message_attributes = message_attributes

    if delay_seconds > MAXIMUM_MESSAGE_DELAY:
        msg = (
            f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
            "Reason: DelaySeconds must be >= 0 and <= 900."
        )
        raise InvalidParameterValue(msg)

    message.mark_sent(delay_seconds=delay_seconds)

    queue.add_message(message)

    return message


def _apply_sqs_send_attributes(patcher: Patcher) -> None:
    patcher.replace(SQSBackend, "_validate_message", _validate_message)
    patcher.replace(SQSBackend, "send_message", _send_message)


SQS_SEND_ATTRIBUTES = REGISTRY.register(
    Patch(
        "sqs_send_attributes",
        "speed-up",
        "SendMessage reads one queue attribute (ContentBasedDeduplication) through Queue.attributes, "
        "which counts the visible, delayed and in-flight messages by walking every message: each "
        "send costs O(queue length); here the send path reads that one attribute only",
        _apply_sqs_send_attributes,
    )
)
