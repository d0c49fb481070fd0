"""NotifyOrder: one message per confirmed order on the notifications queue."""

from typing import Protocol

from orderflow_common import jsonutil
from orderflow_common.observability import logger

from order_service.models import NotificationReceipt, OrderNotification

EVENT_TYPE = "OrderConfirmed"


class Queue(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> str: ...


def notify_order(notification: OrderNotification, queue: Queue) -> NotificationReceipt:
    """Send ``{"orderId", "customerId", "totalAmount": "<decimal string>"}``.

    Errors propagate: the workflow retries the task, then parks the message in the DLQ. A retry after
    a lost response can deliver the message twice; consumers deduplicate on orderId.
    """
    body = jsonutil.dumps(notification.model_dump(mode="json"))
    message_id = queue.send(body, {"eventType": EVENT_TYPE, "orderId": notification.orderId})
    logger.info("order notification sent", extra={"orderId": notification.orderId, "messageId": message_id})
    return NotificationReceipt(messageId=message_id)
