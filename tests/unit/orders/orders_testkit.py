"""Helpers of the order-function tests (a unique module name: tests run without __init__.py)."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    function_name: str = "orders-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-test"
    aws_request_id: str = "11111111-1111-1111-1111-111111111111"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def fresh_module(name: str) -> ModuleType:
    """Import a handler as a cold start would: settings and clients built from the current env."""
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


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
