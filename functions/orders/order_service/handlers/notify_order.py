"""NotifyOrder task: ``{orderId, customerId, totalAmount}`` -> ``{"messageId"}``."""

from orderflow_common.settings import load_settings

from order_service.dal.notifications import NotificationQueue
from order_service.handlers.task import task_handler
from order_service.logic.notification import notify_order
from order_service.models import NotificationReceipt, OrderNotification
from order_service.settings import NotifyOrderSettings

settings = load_settings(NotifyOrderSettings)
queue = NotificationQueue(settings.notifications_queue_url)


@task_handler(OrderNotification)
def handler(notification: OrderNotification) -> NotificationReceipt:
    return notify_order(notification, queue)
