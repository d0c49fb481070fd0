"""Sums a batch of payments (CSV rows: id, amount): their count and total (Decimal, sent as a string)."""

from decimal import Decimal


def handler(event, context):
    payments = event["Items"]
    total = sum((Decimal(payment["amount"]) for payment in payments), Decimal("0"))
    return {
        "ids": [payment["id"] for payment in payments],
        "total": str(total),
        "currency": event["BatchInput"]["currency"],
    }
