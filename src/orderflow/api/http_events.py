"""HTTP API (API Gateway v2) Lambda proxy integration, payload format 2.0: request -> event,
function result -> HTTP, as "Working with AWS Lambda proxy integrations for HTTP APIs" documents
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

- headers: names lower-case, repeated ones joined by commas; the ``Cookie`` header becomes ``cookies``;
- ``queryStringParameters``: repeated names joined by commas; ``rawPath`` and ``requestContext.http.path``
  are the path as requested (a named stage included);
- keys without a value (``cookies``, ``queryStringParameters``, ``pathParameters``, ``body``) are absent;
- the response: an object with ``statusCode`` is a proxy response (``cookies`` become ``Set-Cookie``);
  any other JSON value is ``200``, ``content-type: application/json``, the value as the body.
Payload format 1.0 on an HTTP API is the REST event (:func:`.events.build_event`) with ``version``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from orderflow.api.events import HttpRequest, HttpResponse, MalformedProxyResponse, parse_proxy_response


def build_event_v2(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: dict[str, str],
    stage: str,
    api_id: str,
    account_id: str,
    now: float | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event of ``request`` matched to ``route_key``."""
    now = time.time() if now is None else now
    request_id = request_id or str(uuid.uuid4())
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    host = headers.get("host", "127.0.0.1")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": datetime.fromtimestamp(now, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if request.body:
        try:
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def parse_v2_response(payload: Any) -> HttpResponse:
    """A function's result under payload format 2.0 -> HTTP; MalformedProxyResponse for a 502.

    ``payload`` is the function's return value as Lambda gives it (decoded JSON); a string that is
    itself JSON with a ``statusCode`` counts as that response, as it does for REST APIs."""
    value = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and "statusCode" in decoded:
            value = decoded
        else:
            return HttpResponse(200, [("Content-Type", "application/json")], value.encode("utf-8"))
    if isinstance(value, dict) and "statusCode" in value:
        cookies = value.get("cookies") or []
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise MalformedProxyResponse("cookies must be a list of strings")
        response = parse_proxy_response({k: v for k, v in value.items() if k != "cookies"})
        response.headers.extend(("Set-Cookie", cookie) for cookie in cookies)
        return response
    return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(value).encode())
