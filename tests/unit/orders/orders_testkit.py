"""Helpers of the order-function tests (a unique module name: tests run without __init__.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


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
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for the OrdersApi routes."""
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    headers = {"Content-Type": content_type} if content_type else {}
    parts = path.strip("/").split("/")
    resource, path_parameters = path, None
    if len(parts) == 2 and parts[0] == "orders":
        resource, path_parameters = "/orders/{orderId}", {"orderId": parts[1]}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": "test-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }
