"""Helpers of the users tests (a module of its own: every test directory has a ``conftest``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

import boto3

# moto must be imported before any boto3 client of the code under test is created: it installs the
# botocore hook that routes requests into the mock.
import moto  # noqa: F401
from support.lambda_env import REGION

SENDER = "no-reply@orderflow.test"


@cache
def aws_client(service: str, endpoint_url: str | None = None) -> Any:
    """Test-side clients, created once (moto's hook serves them inside every test's mock)."""
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url)


# ---------------------------------------------------------------------------------------------- API
@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    raw_body: str | None
    json: Any = field(default=None)


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the OrderflowApi would deliver it."""
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    all_headers = {"Content-Type": "application/json"} if raw_body is not None else {}
    all_headers.update(headers or {})
    parts = path.strip("/").split("/")
    resource, path_parameters = path, None
    if len(parts) == 2 and parts[0] == "users":
        resource, path_parameters = "/users/{userId}", {"userId": parts[1]}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{path}" + (f"?{urlencode(query)}" if query else ""),
            "stage": "v1",
            "requestId": "test-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def to_response(result: dict[str, Any]) -> ApiResponse:
    raw = result.get("body")
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    parsed = json.loads(raw) if raw else None
    return ApiResponse(status=result["statusCode"], headers=headers, raw_body=raw, json=parsed)
