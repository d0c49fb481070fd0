"""WriteOrder task: CheckStock's output -> the written order (with status, createdAt, expiresAt)."""

from orderflow_common.settings import load_settings

from order_service.dal.orders import OrderStore
from order_service.handlers.task import task_handler
from order_service.logic.write_order import write_order
from order_service.models import Order, PricedOrder
from order_service.settings import WriteOrderSettings

settings = load_settings(WriteOrderSettings)
orders = OrderStore(orders_table=settings.orders_table_name, products_table=settings.products_table_name)


@task_handler(PricedOrder)
def handler(order: PricedOrder) -> Order:
    return write_order(order, orders, settings.order_retention_days)
