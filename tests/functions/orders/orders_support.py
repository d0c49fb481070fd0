"""Helpers of the order-function tests (a unique module name: tests run without __init__.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.lambda_env import rest_event as api_event


def product(product_id: str, price: str, stock: int, name: str | None = None) -> dict[str, Any]:
    return {
        "productId": product_id,
        "name": name or f"Product {product_id}",
        "price": Decimal(price),
        "stock": stock,
    }


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for the OrdersApi routes."""
    parts = path.strip("/").split("/")
    resource = "/orders/{orderId}" if len(parts) == 2 and parts[0] == "orders" else path
    return api_event(
        method,
        path,
        resource=resource,
        body=body,
        raw_body=raw_body,
        content_type=content_type,
        headers=headers,
    )
