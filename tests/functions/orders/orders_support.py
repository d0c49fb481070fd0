"""Helpers of the order-function tests (a unique module name: tests run without __init__.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.lambda_env import routed_rest_event


def product(product_id: str, price: str, stock: int, name: str | None = None) -> dict[str, Any]:
    return {
        "productId": product_id,
        "name": name or f"Product {product_id}",
        "price": Decimal(price),
        "stock": stock,
    }


# An API Gateway REST (v1) proxy event for the OrdersApi routes.
rest_event = routed_rest_event("/orders/{orderId}")
