"""What a handler sees of Lambda in unit tests: a context object, a cold start, API Gateway events."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from orderflow.api.events import HttpRequest, build_event

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@dataclass
class LambdaContext:
    function_name: str = "unit-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:unit-test"
    aws_request_id: str = "11111111-1111-1111-1111-111111111111"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def fresh_module(name: str) -> ModuleType:
    """Import a handler as a cold start would: settings and clients built from the current env."""
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


def rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    stage: str = "v1",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event; ``resource`` is the route template, e.g. /users/{userId}."""
    resource = resource or path
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    all_headers = {"Content-Type": content_type} if content_type and raw_body is not None else {}
    all_headers.update(headers or {})
    names = re.findall(r"{(\w+)}", resource)
    pattern = "^" + re.sub(r"{\w+}", "([^/]+)", resource) + "$"
    matched = re.match(pattern, path)
    if matched is None:
        raise ValueError(f"{path} does not match {resource}")
    path_parameters = dict(zip(names, matched.groups(), strict=True))
    request = HttpRequest(
        method=method,
        path=f"/{stage}{path}",
        query=urlencode(query or {}),
        headers=list(all_headers.items()),
        body=(raw_body or "").encode("utf-8"),
    )
    # The event the local API Gateway builds for this request, so handler tests and e2e see one shape.
    return build_event(
        request, resource=resource, path=path, path_parameters=path_parameters, stage=stage, api_id="unit"
    )


def routed_rest_event(*resources: str) -> Callable[..., dict[str, Any]]:
    """``rest_event`` for one API: its resource is the first of ``resources`` (route templates, e.g.
    /users/{userId}) whose pattern matches the path, otherwise the path itself."""

    def event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        patterns = {resource: "^" + re.sub(r"{\w+}", "([^/]+)", resource) + "$" for resource in resources}
        resource = next((r for r, pattern in patterns.items() if re.match(pattern, path)), path)
        return rest_event(method, path, resource=resource, **kwargs)

    return event
