"""POST /orders with an Idempotency-Key header (ApiClient sends JSON without extra headers)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from orderflow.api.client import ApiClient


def post_with_key(api: ApiClient, body: Any, key: str | None, path: str = "/orders") -> tuple[int, Any]:
    """One request on its own connection (safe from many threads): (status, parsed JSON body)."""
    conn = http.client.HTTPConnection(api.host, api.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    try:
        conn.request("POST", api.prefix + path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()
