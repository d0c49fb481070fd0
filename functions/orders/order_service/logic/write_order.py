"""WriteOrder: the order becomes an Orders item, written with its stock decrements in one transaction."""

from datetime import datetime, timedelta
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit
from orderflow_common import clock
from orderflow_common.observability import logger, metrics

from order_service.errors import OrderAlreadyWritten, ValidationError
from order_service.models import Order, PricedOrder


class OrderRepository(Protocol):
    """What the logic needs from the data layer (order_service.dal.orders.OrderStore)."""

    def create(self, order: Order) -> None: ...

    def get(self, order_id: str) -> Order | None: ...


def new_order(priced: PricedOrder, now: datetime, retention_days: int) -> Order:
    return Order(
        **priced.model_dump(),
        status="CONFIRMED",
        createdAt=clock.isoformat(now),
        expiresAt=int((now + timedelta(days=retention_days)).timestamp()),
    )


def is_same_order(written: Order, priced: PricedOrder) -> bool:
    """Whether a stored order is the one this task would write (a retry of the same input)."""
    return PricedOrder.model_validate(written.model_dump(include=set(PricedOrder.model_fields))) == priced


def write_order(
    priced: PricedOrder,
    orders: OrderRepository,
    retention_days: int,
    now: datetime | None = None,
) -> Order:
    """Write the order once. If an earlier attempt of this task already committed it, return that
    order unchanged (same createdAt): a retry is a success, never a second decrement.

    An order under the same id with other content (customer, lines, prices) is not a retry but a
    reused id: rejected as ValidationError, the stored order untouched."""
    order = new_order(priced, now or clock.utcnow(), retention_days)
    try:
        orders.create(order)
    except OrderAlreadyWritten:
        existing = orders.get(order.orderId)
        if existing is None:
            raise
        if not is_same_order(existing, priced):
            raise ValidationError(
                f"invalid order: orderId {order.orderId} is already used by another order"
            ) from None
        logger.info("order was written by an earlier attempt", extra={"orderId": order.orderId})
        metrics.add_metric(name="OrderWriteReplayed", unit=MetricUnit.Count, value=1)
        return existing
    logger.info("order written", extra={"orderId": order.orderId, "totalAmount": str(order.totalAmount)})
    metrics.add_metric(name="OrdersWritten", unit=MetricUnit.Count, value=1)
    return order
