"""Web pages cannot reach the embedded AWS: real preflights and simple cross-origin requests, the
Sec-Fetch-Site mark of no-cors requests, and moto's state-changing admin routes behind a token."""

from __future__ import annotations

import http.client
import json
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from orderflow.runtime.browser_guard import ADMIN_TOKEN_HEADER, guarded, write_admin_token
from orderflow.runtime.embedded_aws import EmbeddedAws
from tests.runtime.runtime_support import free_port
from tests.support.aws import local_client

EVIL = "http://evil.example"
FRIEND = "http://localhost:5173"
TOKEN = "test-token"
LIST_TABLES = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Authorization": (  # what a JS SDK in the page would send (moto routes by its credential scope)
        "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    """moto behind the guard, with one browser origin allowed."""
    server = EmbeddedAws(free_port(), {"outbox": lambda: []}, admin_token=TOKEN, allowed_origins=(FRIEND,))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def send(
    aws: EmbeddedAws, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", aws.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def with_table(aws: EmbeddedAws, name: str) -> Any:
    """A DynamoDB client (as AWS tools call: no Origin) after creating table ``name``."""
    dynamodb = local_client("dynamodb", f"http://127.0.0.1:{aws.port}")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-amz-target",
    }


def test_a_preflight_from_another_origin_is_refused(aws: EmbeddedAws) -> None:
    status, headers, body = send(aws, "OPTIONS", "/", preflight(EVIL))
    assert status == 403
    assert "access-control-allow-origin" not in headers  # the browser never sends the real request
    assert EVIL in json.loads(body)["message"]


def test_a_simple_cross_origin_request_is_refused_before_moto_sees_it(aws: EmbeddedAws) -> None:
    dynamodb = with_table(aws, "guarded")
    # the page's fetch: a form-encoded POST needs no preflight, and moto checks no signature
    status, _, body = send(
        aws, "POST", "/moto-api/reset", {"Origin": EVIL, "Content-Type": "text/plain"}, b"x"
    )
    assert status == 403
    assert json.loads(body)["message"].startswith(f"cross-origin request from {EVIL} refused")
    status, _, _ = send(aws, "POST", "/", {**LIST_TABLES, "Origin": EVIL}, b"{}")
    assert status == 403
    status, _, _ = send(aws, "GET", "/_orderflow/outbox", {"Origin": "null"})
    assert status == 403
    assert "guarded" in dynamodb.list_tables()["TableNames"]  # nothing was reset


def test_no_cors_requests_marked_by_the_browser_as_cross_site_are_refused(aws: EmbeddedAws) -> None:
    for site in ("cross-site", "same-site"):
        status, _, _ = send(aws, "GET", "/_orderflow/outbox", {"Sec-Fetch-Site": site})
        assert status == 403, site
    status, _, body = send(aws, "GET", "/_orderflow/outbox", {"Sec-Fetch-Site": "none"})
    assert (status, json.loads(body)) == (200, [])  # typed into the address bar: the developer


def test_an_allowed_origin_gets_moto_cors_answers(aws: EmbeddedAws) -> None:
    status, headers, _ = send(aws, "OPTIONS", "/", preflight(FRIEND))
    assert status == 200
    assert headers["access-control-allow-origin"] == FRIEND
    status, headers, body = send(aws, "POST", "/", {**LIST_TABLES, "Origin": FRIEND}, b"{}")
    assert status == 200
    assert "TableNames" in json.loads(body)


def test_state_changing_admin_routes_need_the_token(aws: EmbeddedAws) -> None:
    dynamodb = with_table(aws, "admin")
    for token in (None, "wrong"):
        headers = {ADMIN_TOKEN_HEADER: token} if token else {}
        status, _, body = send(aws, "POST", "/moto-api/reset", headers)
        assert status == 403, token
        assert ADMIN_TOKEN_HEADER in json.loads(body)["message"]
    assert "admin" in dynamodb.list_tables()["TableNames"]
    status, _, _ = send(aws, "GET", "/moto-api/data.json", {})  # reading needs no token
    assert status == 200
    status, _, _ = send(aws, "POST", "/moto-api/reset", {ADMIN_TOKEN_HEADER: TOKEN})
    assert status == 200
    assert dynamodb.list_tables()["TableNames"] == []


def test_the_admin_token_is_random_and_readable_by_its_owner_only(tmp_path: Any) -> None:
    first, second = write_admin_token(tmp_path), write_admin_token(tmp_path)
    assert first != second and len(first) >= 32
    path = tmp_path / "admin-token"
    assert path.read_text().strip() == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_origins_are_compared_as_browsers_send_them() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["HTTP_ORIGIN"])
        start_response("200 OK", [])
        return [b""]

    guard = guarded(app, allowed_origins=["HTTP://LocalHost:5173/"], admin_token=TOKEN)
    statuses: list[str] = []
    for origin in ("http://localhost:5173", "http://localhost:5174", "http://localhost:5173.evil.example"):
        guard({"HTTP_ORIGIN": origin, "PATH_INFO": "/"}, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK", "403 Forbidden", "403 Forbidden"]
    assert seen == ["http://localhost:5173"]
