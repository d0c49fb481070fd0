"""Helpers of the users tests (a module of its own: every test directory has a ``conftest``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3

# moto must be imported before any boto3 client of the code under test is created: it installs the
# botocore hook that routes requests into the mock.
import moto  # noqa: F401

from tests.support.lambda_env import REGION, routed_rest_event

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


# An API Gateway REST (v1) proxy event, as the OrderflowApi would deliver it.
rest_event = routed_rest_event("/users/{userId}")


def to_response(result: dict[str, Any]) -> ApiResponse:
    raw = result.get("body")
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    parsed = json.loads(raw) if raw else None
    return ApiResponse(status=result["statusCode"], headers=headers, raw_body=raw, json=parsed)
