"""The local API Gateway with a fake invoke function: no runtime, real sockets on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orderflow.api import ApiServer
from orderflow.api.routing import RouteTable
from tests.support.raw_http import exchange, json_response


@dataclass
class R:
    method: str
    path: str
    function_name: str


@dataclass
class FakeResult:
    payload: Any
    function_error: str | None = None
    duration_ms: float = 1.0
    cold_start: bool = False


ROUTES = [
    R("POST", "/orders", "OrdersFn"),
    R("GET", "/orders/{orderId}", "OrdersFn"),
    R("GET", "/users", "UsersFn"),
    R("GET", "/users/me", "MeFn"),
    R("GET", "/users/{userId}", "UsersFn"),
    R("PUT", "/users/{userId}", "UsersFn"),
    R("ANY", "/files/{proxy+}", "FilesFn"),
]


class FakeLambda:
    """Records events; answers with whatever ``respond`` returns (default: echo the event)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.respond = lambda name, event: FakeResult(
            {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
        )

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        self.events.append((name, event))
        return self.respond(name, event)


@pytest.fixture
def fake() -> FakeLambda:
    return FakeLambda()


@pytest.fixture
def api(fake: FakeLambda) -> Iterator[ApiServer]:
    server = ApiServer(ROUTES, fake, stage="v1", port=0, integration_timeout=2.0)
    with server:
        yield server


def request(
    api: ApiServer, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_event_has_the_rest_proxy_shape(api: ApiServer, fake: FakeLambda) -> None:
    status, headers, body = request(
        api, "POST", "/v1/orders", body='{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["content-type"] == "application/json"
    name, event = fake.events[0]
    assert name == "OrdersFn"
    assert json.loads(body) == event
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["resource"] == "/orders"
    assert event["path"] == "/orders"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/orders"
    assert ctx["httpMethod"] == "POST"
    assert ctx["path"] == "/v1/orders"
    assert ctx["stage"] == "v1"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert "userAgent" in ctx["identity"]
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == "local"
    assert isinstance(ctx["requestId"], str) and ctx["requestId"]
    assert abs(ctx["requestTimeEpoch"] - time.time() * 1000) < 60_000


def test_routes_are_served_with_and_without_stage(api: ApiServer, fake: FakeLambda) -> None:
    assert request(api, "GET", "/v1/users")[0] == 200
    assert request(api, "GET", "/users")[0] == 200
    assert [e["path"] for _, e in fake.events] == ["/users", "/users"]
    assert [e["requestContext"]["path"] for _, e in fake.events] == ["/v1/users", "/users"]


def test_path_parameters_are_decoded(api: ApiServer, fake: FakeLambda) -> None:
    assert request(api, "GET", "/v1/orders/ord%20-1")[0] == 200
    _, event = fake.events[-1]
    assert event["resource"] == "/orders/{orderId}"
    assert event["pathParameters"] == {"orderId": "ord -1"}
    assert event["requestContext"]["resourcePath"] == "/orders/{orderId}"


def test_literal_segment_beats_parameter(api: ApiServer, fake: FakeLambda) -> None:
    request(api, "GET", "/v1/users/me")
    request(api, "GET", "/v1/users/u-1")
    assert [n for n, _ in fake.events] == ["MeFn", "UsersFn"]


def test_greedy_proxy_and_any_method(api: ApiServer, fake: FakeLambda) -> None:
    assert request(api, "DELETE", "/v1/files/a/b/c.txt")[0] == 200
    name, event = fake.events[-1]
    assert name == "FilesFn"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["resource"] == "/files/{proxy+}"
    assert request(api, "GET", "/v1/files")[0] == 404  # {proxy+} needs at least one segment


def test_query_strings_single_and_multi(api: ApiServer, fake: FakeLambda) -> None:
    request(api, "GET", "/v1/users?limit=5&tag=a&tag=b&empty=")
    _, event = fake.events[-1]
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"], "empty": [""]}


def test_unknown_route_is_404_json(api: ApiServer, fake: FakeLambda) -> None:
    status, headers, body = request(api, "GET", "/v1/nope")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body)
    assert fake.events == []


def test_wrong_method_is_405_with_allow(api: ApiServer, fake: FakeLambda) -> None:
    status, headers, body = request(api, "DELETE", "/v1/orders/o1")
    assert status == 405
    assert headers["allow"] == "GET"
    assert "message" in json.loads(body)
    assert fake.events == []


def test_function_error_is_502(api: ApiServer, fake: FakeLambda) -> None:
    fake.respond = lambda n, e: FakeResult(
        {"errorMessage": "boom", "errorType": "ValueError"}, function_error="Unhandled"
    )
    status, _, body = request(api, "GET", "/v1/users")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


def test_invoke_exception_is_502(api: ApiServer, fake: FakeLambda) -> None:
    def explode(name: str, event: dict) -> Any:
        raise RuntimeError("worker died")

    fake.respond = explode
    status, _, body = request(api, "GET", "/v1/users")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "not json",
        [1, 2],
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"an": "object"}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
    ],
)
def test_malformed_proxy_response_is_502(api: ApiServer, fake: FakeLambda, payload: Any) -> None:
    fake.respond = lambda n, e: FakeResult(payload)
    status, _, body = request(api, "GET", "/v1/users")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


def test_bare_payload_and_json_bytes_are_accepted(api: ApiServer, fake: FakeLambda) -> None:
    fake.respond = lambda n, e: json.dumps({"statusCode": 201, "body": "{}"}).encode()
    assert request(api, "GET", "/v1/users")[0] == 201
    fake.respond = lambda n, e: {"statusCode": "202", "body": "{}"}
    assert request(api, "GET", "/v1/users")[0] == 202


def test_204_empty_body_passthrough(api: ApiServer, fake: FakeLambda) -> None:
    fake.respond = lambda n, e: FakeResult({"statusCode": 204, "body": "", "headers": {"X-Trace": "t"}})
    status, headers, body = request(api, "PUT", "/v1/users/u1")
    assert status == 204
    assert body == b""
    assert headers["x-trace"] == "t"
    assert "content-length" not in headers


def test_headers_and_multi_value_headers_merge(api: ApiServer, fake: FakeLambda) -> None:
    fake.respond = lambda n, e: FakeResult(
        {
            "statusCode": 200,
            "headers": {"X-One": "1", "X-Both": "from-headers", "Content-Type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["m1", "m2"]},
            "body": "hi",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    conn.request("GET", "/v1/users")
    response = conn.getresponse()
    assert response.read() == b"hi"
    assert response.getheader("X-One") == "1"
    assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert response.msg.get_all("X-Both") == ["m1", "m2"]
    assert response.getheader("Content-Type") == "text/plain"
    conn.close()


def test_base64_response_body_is_decoded(api: ApiServer, fake: FakeLambda) -> None:
    raw = bytes(range(256))
    fake.respond = lambda n, e: FakeResult(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(raw).decode(),
            "isBase64Encoded": True,
        }
    )
    status, headers, body = request(api, "GET", "/v1/users")
    assert status == 200
    assert body == raw
    assert headers["content-type"] == "application/octet-stream"


def test_binary_request_body_arrives_base64(api: ApiServer, fake: FakeLambda) -> None:
    raw = b"\xff\xfe\x00binary"
    request(api, "POST", "/v1/orders", body=raw, headers={"Content-Type": "application/octet-stream"})
    _, event = fake.events[-1]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_missing_content_type_defaults_to_json(api: ApiServer, fake: FakeLambda) -> None:
    fake.respond = lambda n, e: FakeResult({"statusCode": 200, "body": "{}"})
    _, headers, _ = request(api, "GET", "/v1/users")
    assert headers["content-type"] == "application/json"


def test_body_over_10_mb_is_413(api: ApiServer, fake: FakeLambda) -> None:
    # Announce a body over the limit: the server answers before reading it.
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {10 * 1024 * 1024 + 1}\r\n\r\n".encode()
        )
        data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 413")
    assert fake.events == []


def test_body_at_the_limit_is_accepted(fake: FakeLambda) -> None:
    fake.respond = lambda n, e: FakeResult({"statusCode": 200, "body": str(len(e["body"]))})
    with ApiServer(ROUTES, fake, stage="v1", port=0, max_body_bytes=1000) as small:
        status, _, body = request(small, "POST", "/v1/orders", body=b"x" * 1000)
        assert (status, body) == (200, b"1000")
        assert request(small, "POST", "/v1/orders", body=b"x" * 1001)[0] == 413


def test_chunked_request_body(api: ApiServer, fake: FakeLambda) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert fake.events[-1][1]["body"] == "hello world"


def test_slow_function_is_504_not_a_hang(fake: FakeLambda) -> None:
    release = threading.Event()

    def slow(name: str, event: dict) -> Any:
        release.wait(60)  # answers only once the client has its answer: a 200 cannot come first
        return FakeResult({"statusCode": 200, "body": "late"})

    fake.respond = slow
    with ApiServer(ROUTES, fake, stage="v1", port=0, integration_timeout=0.3) as server:
        status, _, body = request(server, "GET", "/v1/users")
        release.set()
    assert status == 504
    assert "message" in json.loads(body)


def test_concurrent_requests_are_served_in_parallel(fake: FakeLambda) -> None:
    barrier = threading.Barrier(4, timeout=5)

    def wait_for_all(name: str, event: dict) -> Any:
        barrier.wait()  # only returns once 4 requests are inside invoke at the same time
        return FakeResult({"statusCode": 200, "body": "ok"})

    fake.respond = wait_for_all
    with ApiServer(ROUTES, fake, stage="v1", port=0) as server:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(request(server, "GET", "/v1/users")[0]))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert results == [200] * 4


def test_keep_alive_connection_serves_several_requests(api: ApiServer, fake: FakeLambda) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/v1/users")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    conn.close()
    assert len(fake.events) == 3


def test_port_in_use_fails_at_bind(api: ApiServer, fake: FakeLambda) -> None:
    with pytest.raises(OSError):
        ApiServer(ROUTES, fake, port=api.port).bind()


def test_url_and_for_runtime(fake: FakeLambda) -> None:
    class FakeRuntime:
        routes = ROUTES
        api_stage = "prod"
        resources = {"OrderflowApi": "abc123", "OrdersTable": "t"}

        def invoke(self, name: str, event: dict) -> Any:
            return fake(name, event)

    with ApiServer.for_runtime(FakeRuntime(), port=0) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/prod/"
        assert request(server, "GET", "/prod/users")[0] == 200
    assert fake.events[-1][1]["requestContext"]["apiId"] == "abc123"


def test_route_table_reports_allowed_methods() -> None:
    table = RouteTable(ROUTES)
    match, allowed = table.resolve("PATCH", "/users/u1")
    assert match is None
    assert sorted(allowed) == ["GET", "PUT"]
    match, _ = table.resolve("GET", "/users/u1/")
    assert match is not None and match.path_parameters == {"userId": "u1"}


def test_inline_invoke_without_watchdog(fake: FakeLambda) -> None:
    def explode(name: str, event: dict) -> Any:
        raise RuntimeError("worker died")

    with ApiServer(ROUTES, fake, stage="v1", port=0, integration_timeout=None) as server:
        assert request(server, "GET", "/v1/users")[0] == 200
        fake.respond = explode
        status, _, body = request(server, "GET", "/v1/users")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/users HTTP/1.1\r\nbroken header\r\n\r\n", 400),
        (b"POST /v1/orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n", 400),
        (b"POST /v1/orders HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (10 * 1024 * 1024 + 1), 413),
        (b"GET /v1/users?" + b"q" * (16 * 1024) + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /v1/users HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
        (b"GET /v1/nope HTTP/1.1\r\nConnection: close\r\n\r\n", 404),
        (b"DELETE /v1/users HTTP/1.1\r\nConnection: close\r\n\r\n", 405),
    ],
    ids=[
        "header-line",
        "chunking",
        "body-too-large",
        "uri-too-long",
        "too-many-headers",
        "not-found",
        "method",
    ],
)
def test_every_error_is_json(api: ApiServer, fake: FakeLambda, request_bytes: bytes, status: int) -> None:
    got, headers, body = json_response(exchange(api.port, request_bytes))
    assert got == status
    assert headers["content-type"] == "application/json"
    assert isinstance(body["message"], str)
    assert fake.events == []


def test_a_crash_in_the_gateway_is_a_json_500(
    api: ApiServer, fake: FakeLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(request: Any) -> Any:
        raise RuntimeError("gateway bug")

    monkeypatch.setattr(api, "handle", crash)
    status, _, body = request(api, "GET", "/v1/users")
    assert status == 500
    assert json.loads(body) == {"message": "Internal server error"}


def test_stop_closes_idle_keep_alive_connections(fake: FakeLambda) -> None:
    server = ApiServer(ROUTES, fake, stage="v1", port=0)
    server.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/v1/users")
    assert conn.getresponse().read()
    assert conn.sock is not None
    server.stop()
    assert conn.sock.recv(1) == b""
    conn.close()


def test_access_log_line(fake: FakeLambda) -> None:
    lines: list[str] = []
    with ApiServer(ROUTES, fake, stage="v1", port=0, access_log=lines.append) as server:
        request(server, "GET", "/v1/users?x=1")
        request(server, "GET", "/v1/nope")
        exchange(
            server.port, b"POST /v1/orders HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (10 * 1024 * 1024 + 1)
        )
    assert lines[0].startswith("GET /v1/users?x=1 200 ") and lines[0].endswith(" ms -> UsersFn")
    assert lines[1].startswith("GET /v1/nope 404 ") and "->" not in lines[1]
    assert lines[2] == "POST /v1/orders 413 - (rejected by the HTTP server)"
