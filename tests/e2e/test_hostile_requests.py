"""A catalogue of hostile requests against every route of the running stack (issue 10).

Each request is sent as raw HTTP to the local API. For every one: the answer is a 4xx (never >= 500),
its body is JSON with a ``message``, and its status is the one docs/api.md's table promises. Around
the whole catalogue, every DynamoDB table of the stack is scanned and the executions counted: a
refused request writes nothing.
"""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.e2e_support import Stack, eventually

pytestmark = pytest.mark.e2e

UPPER_UUID = "0F8FAD5B-D9CB-469F-A165-70867728950E"
NESTED = "[" * 1000 + "]" * 1000
BIG_INT = "9" * 4301
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE users", "${jndi:ldap://x/a}", "<script>alert(1)</script>"]


@dataclass
class Hostile:
    name: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    expected: int = 400
    headers: dict[str, str] = field(default_factory=dict)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def order_cases(product: str) -> list[Hostile]:
    good = {"customerId": "c-hostile", "items": [{"productId": product, "quantity": 1}]}

    def order(title: str, **changes: Any) -> Hostile:
        return Hostile(title, "POST", "/orders", _json({**good, **changes}))

    def item(title: str, quantity: Any) -> Hostile:
        return order(title, items=[{"productId": product, "quantity": quantity}])

    raw = b'{"customerId": "c", "items": [{"productId": "%s", "quantity": %s}]}'
    return [
        Hostile("orders: array body", "POST", "/orders", _json([good, good])),
        Hostile("orders: string body", "POST", "/orders", b'"order"'),
        Hostile("orders: number body", "POST", "/orders", b"42"),
        Hostile("orders: null body", "POST", "/orders", b"null"),
        Hostile("orders: empty body", "POST", "/orders", b""),
        Hostile("orders: no content type", "POST", "/orders", _json(good), None, 415),
        Hostile("orders: text/plain", "POST", "/orders", _json(good), "text/plain", 415),
        Hostile(
            "orders: form body", "POST", "/orders", b"customerId=c", "application/x-www-form-urlencoded", 415
        ),
        Hostile(
            "orders: latin-1 charset",
            "POST",
            "/orders",
            _json(good),
            "application/json; charset=latin-1",
            415,
        ),
        Hostile("orders: 1,000-deep nesting", "POST", "/orders", NESTED.encode()),
        Hostile("orders: invalid UTF-8", "POST", "/orders", b'{"customerId": "\xff\xfe", "items": []}'),
        Hostile(
            "orders: 4,301-digit quantity", "POST", "/orders", raw % (product.encode(), BIG_INT.encode())
        ),
        Hostile("orders: NaN quantity", "POST", "/orders", raw % (product.encode(), b"NaN")),
        Hostile("orders: Infinity quantity", "POST", "/orders", raw % (product.encode(), b"Infinity")),
        Hostile(
            "orders: duplicate keys",
            "POST",
            "/orders",
            b'{"customerId": "a", "customerId": "b", "items": [{"productId": "p", "quantity": 1}]}',
        ),
        Hostile("orders: NUL byte in JSON text", "POST", "/orders", b'{"customerId": "c\x00"}'),
        item("orders: quantity 10^37", 10**37),
        item("orders: quantity 0", 0),
        item("orders: quantity -1", -1),
        item("orders: quantity 1.5", 1.5),
        item("orders: quantity as string", "2"),
        item("orders: quantity true", True),
        order("orders: 10,001 units over two lines", items=[{"productId": product, "quantity": 5001}] * 2),
        order("orders: 51 items", items=[{"productId": product, "quantity": 1}] * 51),
        order("orders: no items", items=[]),
        order("orders: blank customer", customerId="   "),
        order("orders: NUL in customer", customerId="c\u0000"),
        Hostile(
            "orders: lone surrogate in customer", "POST", "/orders", b'{"customerId": "\\ud800", "items": []}'
        ),
        order("orders: 2,000-char customer", customerId="c" * 2000),
        order("orders: 2,000-char product", items=[{"productId": "p" * 2000, "quantity": 1}]),
        order("orders: unknown field", coupon="FREE"),
        order("orders: unknown status value", status="CONFIRMED"),
        order("orders: injection in orderId", orderId=INJECTIONS[0]),
        order("orders: path traversal orderId", orderId="../../etc/passwd"),
        order("orders: unicode orderId", orderId="ordér-1"),
        order("orders: 2,000-char orderId", orderId="o" * 2000),
        Hostile(
            "orders: bad Idempotency-Key", "POST", "/orders", _json(good), headers={"Idempotency-Key": "a b"}
        ),
        Hostile(
            "orders: 2,000-char Idempotency-Key",
            "POST",
            "/orders",
            _json(good),
            headers={"Idempotency-Key": "k" * 2000},
        ),
        Hostile(
            "orders: key differs from orderId",
            "POST",
            "/orders",
            _json({**good, "orderId": "o-1"}),
            headers={"Idempotency-Key": "k-1"},
        ),
        Hostile(
            "orders: 6 MB body",
            "POST",
            "/orders",
            b'{"customerId": "' + b"x" * 6_000_000 + b'"}',
            expected=413,
        ),
        Hostile("orders: 11 MB body", "POST", "/orders", b"x" * (11 * 1024 * 1024), expected=413),
        *[
            Hostile(f"orders: GET injection {i}", "GET", f"/orders/{quote(s)}")
            for i, s in enumerate(INJECTIONS)
        ],
        Hostile("orders: GET 2,000-char id", "GET", "/orders/" + "o" * 2000),
        Hostile("orders: GET unicode id", "GET", "/orders/" + quote("ordé")),
        Hostile("orders: GET NUL in id", "GET", "/orders/o%00"),
        Hostile("orders: GET unknown order", "GET", f"/orders/o-{uuid.uuid4().hex}", expected=404),
        Hostile("orders: DELETE not a route", "DELETE", "/orders", expected=405),
    ]


def quote(text: str) -> str:
    from urllib.parse import quote as _quote

    return _quote(text, safe="")


def user_cases(user_id: str, other_email: str) -> list[Hostile]:
    good = {"email": f"h-{uuid.uuid4().hex[:8]}@example.com", "name": "Hostile"}

    def create(title: str, **changes: Any) -> Hostile:
        return Hostile(title, "POST", "/users", _json({**good, **changes}))

    def update(title: str, body: Any, expected: int = 400) -> Hostile:
        return Hostile(title, "PUT", f"/users/{user_id}", _json(body), expected=expected)

    unknown = str(uuid.uuid4())
    return [
        Hostile("users: array body", "POST", "/users", _json([good])),
        Hostile("users: string body", "POST", "/users", b'"ada@example.com"'),
        Hostile("users: number body", "POST", "/users", b"1"),
        Hostile("users: no content type", "POST", "/users", _json(good), None, 415),
        Hostile(
            "users: form body",
            "POST",
            "/users",
            b"email=a%40b.c&name=x",
            "application/x-www-form-urlencoded",
            415,
        ),
        Hostile("users: 1,000-deep nesting", "POST", "/users", NESTED.encode()),
        Hostile("users: invalid UTF-8", "POST", "/users", b'{"email": "\xc3\x28@example.com", "name": "x"}'),
        Hostile("users: 4,301-digit integer", "POST", "/users", b'{"email": ' + BIG_INT.encode() + b"}"),
        Hostile("users: NaN", "POST", "/users", b'{"email": NaN, "name": "x"}'),
        Hostile(
            "users: duplicate keys", "POST", "/users", b'{"email": "a@example.com", "email": "b@example.com"}'
        ),
        create("users: invalid email", email="not-an-email"),
        create("users: 300-char email", email="a" * 290 + "@example.com"),
        create("users: injection email", email=INJECTIONS[0] + "@example.com"),
        create("users: control character in name", name="Ada\u0000"),
        Hostile(
            "users: lone surrogate in name",
            "POST",
            "/users",
            b'{"email": "s@example.com", "name": "\\udfff"}',
        ),
        create("users: 5,000-char name", name="n" * 5000),
        create("users: blank name", name="   "),
        create("users: unknown field", role="admin"),
        create("users: status on create", status="active"),
        Hostile("users: 6 MB body", "POST", "/users", b'{"name": "' + b"x" * 6_000_000 + b'"}', expected=413),
        Hostile("users: GET limit 0", "GET", "/users?limit=0"),
        Hostile("users: GET limit -1", "GET", "/users?limit=-1"),
        Hostile("users: GET limit 101", "GET", "/users?limit=101"),
        Hostile("users: GET limit abc", "GET", "/users?limit=abc"),
        Hostile("users: GET limit 10^40", "GET", "/users?limit=" + "1" + "0" * 40),
        Hostile("users: GET garbage cursor", "GET", "/users?cursor=garbage"),
        Hostile("users: GET 3,000-char cursor", "GET", "/users?cursor=" + "A" * 3000),
        Hostile("users: GET injection cursor", "GET", "/users?cursor=" + quote(INJECTIONS[1])),
        Hostile("users: GET email and cursor", "GET", "/users?email=a%40example.com&cursor=abc"),
        Hostile("users: GET invalid email", "GET", "/users?email=" + quote(INJECTIONS[0])),
        Hostile("users: GET upper-case id", "GET", f"/users/{UPPER_UUID}"),
        Hostile("users: GET dash-less id", "GET", "/users/" + user_id.replace("-", "")),
        Hostile("users: GET urn:uuid id", "GET", "/users/" + quote(f"urn:uuid:{user_id}")),
        Hostile("users: GET braced id", "GET", "/users/" + quote("{" + user_id + "}")),
        Hostile("users: GET injection id", "GET", "/users/" + quote(INJECTIONS[0])),
        Hostile("users: GET 2,000-char id", "GET", "/users/" + "a" * 2000),
        Hostile("users: GET unknown id", "GET", f"/users/{unknown}", expected=404),
        update("users: PUT empty object", {}),
        update("users: PUT unknown status value", {"status": "deleted"}),
        update("users: PUT null status", {"status": None}),
        update("users: PUT array body", [{"name": "x"}]),
        update("users: PUT another user's email", {"email": other_email}, expected=409),
        update("users: PUT another user's email, upper-case", {"email": other_email.upper()}, expected=409),
        update("users: PUT userId in body", {"userId": unknown}),
        Hostile("users: PUT unknown user", "PUT", f"/users/{unknown}", _json({"name": "x"}), expected=404),
        Hostile("users: PUT upper-case id", "PUT", f"/users/{UPPER_UUID}", _json({"name": "x"})),
        Hostile("users: DELETE upper-case id", "DELETE", f"/users/{user_id.upper()}"),
        Hostile("users: DELETE unknown user", "DELETE", f"/users/{unknown}", expected=404),
        Hostile("users: PATCH not a route", "PATCH", f"/users/{user_id}", _json({"name": "x"}), expected=405),
        Hostile("no such route", "GET", "/nothing-here", expected=404),
    ]


def send(stack: Stack, case: Hostile) -> tuple[int, bytes, str]:
    url = stack.api_server.url.rstrip("/")
    host, port = stack.api.host, stack.api.port
    conn = http.client.HTTPConnection(host, port, timeout=60)
    headers = dict(case.headers)
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    try:
        conn.request(case.method, url.split(f":{port}", 1)[1] + case.path, body=case.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        conn.close()


def raw_exchange(stack: Stack, head: bytes) -> tuple[int, bytes]:
    """Protocol-level abuse the HTTP clients will not send: a raw request head."""
    with socket.create_connection((stack.api.host, stack.api.port), timeout=30) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), body


def protocol_cases() -> list[tuple[str, bytes, int]]:
    many_headers = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    return [
        ("URI over 16 KiB", b"GET /v1/orders/" + b"o" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("150 header lines", b"GET /v1/users HTTP/1.1\r\nHost: x\r\n" + many_headers + b"\r\n", 431),
        (
            "a 20 KiB header line",
            b"GET /v1/users HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 20_000 + b"\r\n\r\n",
            431,
        ),
        ("malformed request line", b"GARBAGE\r\n\r\n", 400),
        ("bad Content-Length", b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
    ]


def snapshot(stack: Stack) -> dict[str, Any]:
    """Every item of every table of the stack, and the number of executions."""
    tables = {}
    dynamodb = stack.client("dynamodb")
    for logical_id, kind in stack.runtime.resource_types.items():
        if kind == "AWS::DynamoDB::Table":
            name = stack.runtime.resources[logical_id]
            items = []
            for page in dynamodb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
                items.extend(page["Items"])
            tables[logical_id] = sorted(json.dumps(item, sort_keys=True) for item in items)
    return {"tables": tables, "executions": stack.execution_count()}


def quiet(stack: Stack) -> None:
    """No execution running and no stream record pending: nothing writes while the catalogue runs."""
    eventually(lambda: not stack.runtime.running_executions(), what="executions to finish")
    assert stack.runtime.wait_for_streams()


def test_hostile_requests_are_4xx_json_and_write_nothing(stack: Stack) -> None:
    product = stack.seed_products(hostile=10**38 - 1)["hostile"]
    user = stack.api.post("/users", {"email": f"h-{uuid.uuid4().hex[:8]}@example.com", "name": "Target"})[1]
    other = stack.api.post("/users", {"email": f"h-{uuid.uuid4().hex[:8]}@example.com", "name": "Other"})[1]
    quiet(stack)
    cases = order_cases(product) + user_cases(user["userId"], other["email"])
    protocol = protocol_cases()
    assert len(cases) + len(protocol) >= 60
    before = snapshot(stack)

    results: dict[str, tuple[int, Any]] = {}
    for case in cases:
        status, raw, content_type = send(stack, case)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw[:200]
        results[case.name] = (status, body)
        assert content_type.startswith("application/json"), (case.name, status, content_type, raw[:200])
        assert isinstance(body, dict) and isinstance(body.get("message"), str), (case.name, status, body)
        assert status == case.expected, (case.name, status, body)
    for name, head, expected in protocol:
        status, raw = raw_exchange(stack, head)
        assert status == expected, (name, status, raw[:200])
        assert isinstance(json.loads(raw).get("message"), str), (name, raw[:200])

    quiet(stack)
    assert snapshot(stack) == before
    assert max(status for status, _ in results.values()) < 500


def test_an_impossible_quantity_started_directly_ends_rejected_not_failed(stack: Stack) -> None:
    """Quantity 10^37 against stock 10^38-1 (beyond DynamoDB's 38 digits once added up): ValidateOrder
    uses the API's model, so the execution ends REJECTED (ValidationError), nothing written."""
    product = stack.seed_products(huge=10**38 - 1)["huge"]
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    sfn = stack.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.runtime.outputs["OrderWorkflowArn"],
        name=order_id,
        input=json.dumps({"customerId": "c", "items": [{"productId": product, "quantity": 10**37}]}),
    )["executionArn"]
    described = eventually(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        what="the execution to end",
    )
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert (output["status"], output["reason"]) == ("REJECTED", "ValidationError")
    assert "less than or equal to 10000" in output["cause"]
    assert stack.stock_of(product) == 10**38 - 1
    assert stack.order_item(order_id) is None
