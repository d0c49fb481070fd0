"""API Gateway REST (v1) Lambda proxy integration: request -> event, proxy response -> HTTP.

The event has exactly the keys Lambda receives from a REST API proxy integration; the response
is validated the way API Gateway does it (a malformed one is a 502, not a guess).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from orderflow.errors import OrderflowError

LOCAL_ACCOUNT_ID = "123456789012"


@dataclass
class HttpRequest:
    method: str
    path: str  # the path as requested, without the query string (stage prefix included, if any)
    query: str
    headers: list[tuple[str, str]]  # in arrival order, case preserved
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class MalformedProxyResponse(OrderflowError, ValueError):
    """The function's return value is not a valid Lambda proxy integration response."""


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # the last value wins, like API Gateway
        multi.setdefault(key, []).append(value)
    return single, multi


def _merge_header_case(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # HTTP header names are case-insensitive: repeated headers keep the first spelling.
    seen: dict[str, str] = {}
    merged = []
    for key, value in pairs:
        name = seen.setdefault(key.lower(), key)
        merged.append((name, value))
    return merged


def build_event(
    request: HttpRequest,
    *,
    resource: str,
    path: str,
    path_parameters: dict[str, str],
    stage: str,
    api_id: str,
    account_id: str = LOCAL_ACCOUNT_ID,
    now: float | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The proxy event for ``request`` matched to ``resource`` (``path`` is without the stage)."""
    now = time.time() if now is None else now
    request_id = request_id or str(uuid.uuid4())
    header_pairs = _merge_header_case(request.headers)
    headers, multi_headers = _multi(header_pairs)
    query_pairs = parse_qsl(request.query, keep_blank_values=True)
    query, multi_query = _multi(query_pairs)
    user_agent = next((v for k, v in header_pairs if k.lower() == "user-agent"), None)
    host = next((v for k, v in header_pairs if k.lower() == "host"), "127.0.0.1")

    body: str | None
    is_base64 = False
    if not request.body:
        body = None
    else:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body = base64.b64encode(request.body).decode("ascii")
            is_base64 = True

    stamp = datetime.fromtimestamp(now, tz=UTC)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, resource).hex[:6],
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": stamp.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": request.path,
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": host,
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponse(f"header value of type {type(value).__name__}")


def parse_proxy_response(payload: Any) -> HttpResponse:
    """A function's proxy response -> HTTP; raises MalformedProxyResponse like API Gateway's 502."""
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise MalformedProxyResponse("response is not JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedProxyResponse(f"response is a {type(payload).__name__}, not an object")

    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"invalid statusCode {status!r}")

    headers = payload.get("headers") or {}
    multi_headers = payload.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi_headers, dict):
        raise MalformedProxyResponse("headers / multiValueHeaders must be objects")
    out: list[tuple[str, str]] = []
    multi_names = set()
    for name, values in multi_headers.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        multi_names.add(str(name).lower())
        out.extend((str(name), _header_value(v)) for v in values)
    # When a name is in both, API Gateway keeps only the multiValueHeaders values.
    out.extend(
        (str(name), _header_value(value))
        for name, value in headers.items()
        if str(name).lower() not in multi_names
    )

    body = payload.get("body")
    is_base64 = payload.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise MalformedProxyResponse("isBase64Encoded must be a boolean")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse(f"body is a {type(body).__name__}, not a string")
    elif is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedProxyResponse("body is not valid base64") from exc
    else:
        raw = body.encode("utf-8")

    if raw and not any(name.lower() == "content-type" for name, _ in out):
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out, raw)


def json_error(status: int, message: str, extra_headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json"), *(extra_headers or [])]
    return HttpResponse(status, headers, json.dumps({"message": message}).encode())
