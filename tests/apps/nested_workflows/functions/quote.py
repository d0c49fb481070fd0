"""Prices an order's items: the total of quantity x unit price (Decimal, sent as a string)."""

from decimal import Decimal


class InvalidQuantity(Exception):
    pass


def handler(event, context):
    total = Decimal("0")
    for item in event["items"]:
        if item["qty"] <= 0:
            raise InvalidQuantity(f"quantity {item['qty']} of {item['sku']}")
        total += item["qty"] * Decimal(item["price"])
    return {"total": str(total)}
