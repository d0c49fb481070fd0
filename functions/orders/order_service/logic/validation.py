"""ValidateOrder: the execution input checked against OrderRequest, then normalised."""

from collections.abc import Sequence

import pydantic
from orderflow_common.observability import logger

from order_service.errors import ValidationError
from order_service.models import OrderItem, OrderRequest, ValidatedOrder, ValidateOrderTask


def describe_errors(exc: pydantic.ValidationError) -> str:
    """Pydantic's errors as one readable line: ``items[1].quantity: Input should be ...; ...``."""
    return "; ".join(
        f"{_location(err['loc'])}: {err['msg']}" if err["loc"] else err["msg"] for err in exc.errors()
    )


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def merge_items(items: list[OrderItem]) -> list[OrderItem]:
    """One line per product, quantities summed, in order of first appearance."""
    quantities: dict[str, int] = {}
    for item in items:
        quantities[item.productId] = quantities.get(item.productId, 0) + item.quantity
    return [OrderItem(productId=product_id, quantity=qty) for product_id, qty in quantities.items()]


def validate_order(task: ValidateOrderTask) -> ValidatedOrder:
    """Raise ValidationError with a readable message, or return the normalised order.

    orderId defaults to the execution name. An explicit orderId must equal it: the API, the
    REJECTED output and GET /orders/{orderId} all identify an order by its execution name.
    """
    if not isinstance(task.order, dict):
        raise ValidationError("invalid order: the execution input must be a JSON object")
    try:
        request = OrderRequest.model_validate(task.order)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"invalid order: {describe_errors(exc)}") from None

    order_id = request.orderId or task.executionName
    if not order_id:
        raise ValidationError("invalid order: orderId is required when there is no execution name")
    if task.executionName and order_id != task.executionName:
        raise ValidationError(
            f"invalid order: orderId {order_id!r} differs from the execution name "
            f"{task.executionName!r}; start the execution with name = orderId"
        )
    try:
        order = ValidatedOrder(
            orderId=order_id, customerId=request.customerId, items=merge_items(request.items)
        )
    except pydantic.ValidationError as exc:  # an execution name that is not a valid order id
        raise ValidationError(f"invalid order: {describe_errors(exc)}") from None
    logger.info("order valid", extra={"orderId": order.orderId, "lines": len(order.items)})
    return order
