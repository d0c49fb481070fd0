"""orderflow.wsgi_server: the one HTTP/1.1 server under the embedded AWS and the local API."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orderflow.wsgi_server import Limits, WsgiServer
from tests.support.raw_http import exchange, json_response

SMALL = Limits(
    max_request_line=1024, max_header_line=512, max_header_count=10, max_header_bytes=2048, max_body_bytes=100
)


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    if environ["PATH_INFO"] == "/crash":
        raise RuntimeError("the app crashed")
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "raw": environ["RAW_URI"],
        "query": environ["QUERY_STRING"],
        "body": body.decode("latin-1"),
        "x_test": environ.get("HTTP_X_TEST"),
        "headers": environ["orderflow.headers"],
    }
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "999")])
    return [json.dumps(answer).encode()]


@pytest.fixture
def server() -> Iterator[WsgiServer]:
    with WsgiServer(echo_app, limits=SMALL) as running:
        yield running


def raw(server: WsgiServer, data: bytes) -> bytes:
    return exchange(server.port, data)


def status_and_json(response: bytes) -> tuple[int, dict[str, Any]]:
    status, headers, body = json_response(response)
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    return status, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /\r\n\r\n", 400),  # HTTP/0.9
        (b"GET / HTTP/2.0\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" + b"x" * 101 + b"\r\n0\r\n\r\n", 413),
        (b"GET /" + b"a" * 1100 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(11)) + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 600 + b"\r\n\r\n", 431),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 400) for i in range(6)) + b"\r\n",
            431,
        ),
    ],
    ids=[
        "request-line",
        "http-0.9",
        "http-2",
        "method",
        "header-line",
        "obs-fold",
        "content-length",
        "conflicting-lengths",
        "transfer-encoding",
        "chunk-size",
        "chunk-framing",
        "body-too-large",
        "chunked-body-too-large",
        "uri-too-long",
        "too-many-headers",
        "header-line-too-long",
        "headers-too-large",
    ],
)
def test_errors_the_server_answers_itself_are_json_and_close(
    server: WsgiServer, request_bytes: bytes, status: int
) -> None:
    got_status, body = status_and_json(raw(server, request_bytes))
    assert got_status == status
    assert isinstance(body["message"], str) and body["message"]


def test_a_crashing_app_is_a_json_500_and_the_connection_stays(
    server: WsgiServer, caplog: pytest.LogCaptureFixture
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/crash")
    response = conn.getresponse()
    assert response.status == 500
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read()) == {"message": "Internal server error"}
    assert "the app crashed" in caplog.text  # the traceback is in the log, not in the response
    conn.request("GET", "/after")
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["path"] == "/after"
    conn.close()


def test_keep_alive_two_requests_on_one_connection(server: WsgiServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/a", body=b"first")
    first = conn.getresponse()
    data = first.read()
    sock = conn.sock
    assert first.version == 11 and first.getheader("Connection") is None
    assert int(first.getheader("Content-Length")) == len(data)  # the server's length, not the app's
    conn.request("POST", "/b", body=iter([b"sec", b"ond"]), encode_chunked=True)
    second = json.loads(conn.getresponse().read())
    assert conn.sock is sock is not None
    assert (json.loads(data)["body"], second["body"]) == ("first", "second")
    conn.close()


def test_environ_is_what_werkzeug_builds(server: WsgiServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/a%20b/c?x=1&y=%20", headers={"X-Test": "one", "x-test": "two", "X_Under": "u"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    assert answer["path"] == "/a b/c"
    assert answer["raw"] == "/a%20b/c?x=1&y=%20"
    assert answer["query"] == "x=1&y=%20"
    assert answer["x_test"] == "one,two"
    assert ["X-Test", "one"] in answer["headers"] and ["x-test", "two"] in answer["headers"]
    assert ["X_Under", "u"] in answer["headers"]  # only in orderflow.headers, not HTTP_X_UNDER


def test_expect_100_continue(server: WsgiServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        assert b'"body": "abc"' in sock.recv(65536)


def test_http_1_0_and_connection_close_are_closed(server: WsgiServer) -> None:
    assert b"Connection: close" in raw(server, b"GET / HTTP/1.0\r\n\r\n")
    assert raw(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200 OK")


def test_head_has_no_body() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "5")])
        return [b"hello"]

    with WsgiServer(app) as server:
        response = raw(server, b"HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n")
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"Content-Length: 5" in head and body == b""


def test_port_in_use_raises_at_bind(server: WsgiServer) -> None:
    with pytest.raises(OSError):
        WsgiServer(echo_app, port=server.port).bind()


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = WsgiServer(echo_app)
    server.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/")
    assert conn.getresponse().read()
    sock = conn.sock
    assert sock is not None
    started = time.monotonic()
    server.stop()
    assert sock.recv(1) == b""  # the server closed the idle connection
    assert time.monotonic() - started < 5
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_the_apps_server_and_date_headers_are_not_doubled() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Server", "amazon.com"), ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")])
        return [b"{}"]

    with WsgiServer(app) as server:
        head = raw(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").partition(b"\r\n\r\n")[0]
    assert head.count(b"Server:") == 1 and b"Server: amazon.com" in head
    assert head.count(b"Date:") == 1
