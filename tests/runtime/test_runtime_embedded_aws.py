"""The embedded AWS: moto behind orderflow.wsgi_server with HTTP/1.1 keep-alive (runtime.embedded_aws)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from orderflow.runtime.embedded_aws import AWS_LIMITS, EmbeddedAws
from orderflow.runtime.model import RuntimeStartError
from tests.runtime.runtime_support import free_port
from tests.support.aws import local_client
from tests.support.raw_http import exchange, json_response


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    server = EmbeddedAws(
        free_port(), {"health": lambda: {"ok": True}, "boom": lambda: 1 / 0}, admin_token="t"
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _port(aws: EmbeddedAws) -> int:
    return aws.port


def _dynamodb_request(target: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{target}",
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0"
        ),
    }
    return json.dumps(body).encode(), headers


def test_requests_share_one_connection_and_every_response_has_a_length(aws: EmbeddedAws) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", _port(aws), timeout=10)
    body, headers = _dynamodb_request("ListTables", {})
    sockets = []
    for _ in range(3):
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        assert response.status == 200
        assert response.version == 11
        assert int(response.getheader("Content-Length")) == len(data)
        assert response.getheader("Connection") is None
        assert "TableNames" in json.loads(data)
        sockets.append(conn.sock)
    conn.request("GET", "/_orderflow/health")
    response = conn.getresponse()
    assert json.loads(response.read()) == {"ok": True}
    sockets.append(conn.sock)
    assert all(sock is sockets[0] and sock is not None for sock in sockets), "one TCP connection"
    conn.close()


def test_unread_and_chunked_request_bodies_do_not_leak_into_the_next_request(aws: EmbeddedAws) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", _port(aws), timeout=10)
    # the health route never reads the body: it must still be consumed before the next request line
    conn.request("GET", "/_orderflow/health", body=b"x" * 5000)
    assert json.loads(conn.getresponse().read()) == {"ok": True}
    body, headers = _dynamodb_request("ListTables", {})
    conn.request("POST", "/", body=iter([body[:5], body[5:]]), headers=headers, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200 and "TableNames" in json.loads(response.read())
    conn.request("GET", "/_orderflow/missing")
    response = conn.getresponse()
    assert response.status == 404 and json.loads(response.read()) == {"message": "not found"}
    conn.close()


def test_connection_close_and_http_1_0_clients_are_closed(aws: EmbeddedAws) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", _port(aws), timeout=10)
    conn.request("GET", "/_orderflow/health", headers={"Connection": "close"})
    response = conn.getresponse()
    assert response.getheader("Connection") == "close"
    assert json.loads(response.read()) == {"ok": True}
    assert response.will_close
    conn.close()


def test_boto3_works_over_kept_alive_connections(aws: EmbeddedAws) -> None:
    client = local_client("sqs", f"http://127.0.0.1:{_port(aws)}")
    url = client.create_queue(QueueName="keepalive")["QueueUrl"]
    for i in range(5):
        client.send_message(QueueUrl=url, MessageBody=f"m{i}")
    received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == [f"m{i}" for i in range(5)]
    with pytest.raises(client.exceptions.QueueDoesNotExist):
        client.get_queue_url(QueueName="nope")
    assert client.get_queue_url(QueueName="keepalive")["QueueUrl"] == url


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (AWS_LIMITS.max_body_bytes + 1), 413),
        (b"GET /" + b"a" * AWS_LIMITS.max_request_line + b" HTTP/1.1\r\n\r\n", 414),
        (
            b"GET / HTTP/1.1\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(AWS_LIMITS.max_header_count + 1))
            + b"\r\n",
            431,
        ),
        (b"GET /_orderflow/boom HTTP/1.1\r\nConnection: close\r\n\r\n", 500),
        (b"GET /_orderflow/missing HTTP/1.1\r\nConnection: close\r\n\r\n", 404),
    ],
    ids=["malformed", "body-too-large", "uri-too-long", "too-many-headers", "crash", "unknown-route"],
)
def test_errors_are_json(aws: EmbeddedAws, request_bytes: bytes, status: int) -> None:
    got, headers, body = json_response(exchange(_port(aws), request_bytes))
    assert headers["content-type"] == "application/json"
    assert got == status
    assert isinstance(body["message"], str)


def test_a_port_in_use_raises_at_start(aws: EmbeddedAws) -> None:
    with pytest.raises(RuntimeStartError, match="already in use"):
        EmbeddedAws(_port(aws), {}, admin_token="t").start()


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = EmbeddedAws(free_port(), {"health": lambda: {"ok": True}}, admin_token="t")
    server.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/_orderflow/health")
    assert json.loads(conn.getresponse().read()) == {"ok": True}
    assert conn.sock is not None
    server.stop()
    assert conn.sock.recv(1) == b""
    conn.close()
