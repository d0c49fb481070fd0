"""CheckStock: every product read once, every line priced exactly."""

from typing import Protocol

from orderflow_common.observability import logger

from order_service import money
from order_service.errors import OutOfStock, ProductNotFound, Shortage, ValidationError
from order_service.models import PricedLine, PricedOrder, Product, ValidatedOrder


class Catalog(Protocol):
    def get_products(self, product_ids: list[str]) -> dict[str, Product]: ...


def check_stock(order: ValidatedOrder, catalog: Catalog) -> PricedOrder:
    """Raise ProductNotFound (every unknown id) or OutOfStock (every short line); else price the order.

    This is a snapshot: WriteOrder's transaction re-checks the stock, and the prices read here are
    the prices the order is written with.
    """
    product_ids = [item.productId for item in order.items]
    products = catalog.get_products(product_ids)

    missing = [product_id for product_id in product_ids if product_id not in products]
    if missing:
        raise ProductNotFound(missing)
    shortages = [
        Shortage(item.productId, item.quantity, products[item.productId].stock)
        for item in order.items
        if products[item.productId].stock < item.quantity
    ]
    if shortages:
        raise OutOfStock(shortages)

    try:
        return _price(order, products)
    except ArithmeticError as exc:  # decimal.Inexact/Overflow: beyond DynamoDB's 38 digits
        raise ValidationError(
            f"invalid order: its total cannot be represented exactly ({type(exc).__name__})"
        ) from None


def _price(order: ValidatedOrder, products: dict[str, Product]) -> PricedOrder:
    lines = [
        PricedLine(
            productId=item.productId,
            name=products[item.productId].name,
            quantity=item.quantity,
            unitPrice=products[item.productId].price,
            lineTotal=money.line_total(products[item.productId].price, item.quantity),
        )
        for item in order.items
    ]
    priced = PricedOrder(
        orderId=order.orderId,
        customerId=order.customerId,
        items=lines,
        totalAmount=money.total(line.lineTotal for line in lines),
    )
    logger.info("order priced", extra={"orderId": order.orderId, "totalAmount": str(priced.totalAmount)})
    return priced
