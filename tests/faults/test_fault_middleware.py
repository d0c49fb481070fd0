"""The fault middleware in front of a WSGI app: which calls it recognises (service from the SigV4
scope, operation and resources from each protocol), what it answers, and that the app still reads
the body it parsed."""

from __future__ import annotations

import io
import json
from typing import Any

from orderflow.runtime.faults import FaultEngine, middleware, parse_rules


def _environ(service: str, body: bytes = b"", **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=x",
        **extra,
    }


class _App:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length))
        start_response("200 OK", [])
        return [b"moto"]


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def _engine(*rules: dict[str, Any]) -> FaultEngine:
    engine = FaultEngine()
    engine.set_rules(parse_rules({"seed": 1, "rules": list(rules)}))
    return engine


def test_dynamodb_transact_items_name_their_tables() -> None:
    inner = _App()
    engine = _engine({"service": "dynamodb", "resources": ["Orders"], "error": "ThrottlingException"})
    app = middleware(inner, engine)
    body = json.dumps(
        {"TransactItems": [{"Update": {"TableName": "Products"}}, {"Put": {"TableName": "Orders"}}]}
    ).encode()
    target = {"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems"}
    status, headers, answer = _call(app, _environ("dynamodb", body, **target))
    assert status == "400 Bad Request"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(answer)["__type"].endswith("#ThrottlingException")
    other = json.dumps({"TableName": "Products", "Key": {}}).encode()
    status, _, answer = _call(app, _environ("dynamodb", other, HTTP_X_AMZ_TARGET="DynamoDB_20120810.GetItem"))
    assert status == "200 OK" and answer == b"moto"
    assert inner.bodies == [other]  # the body the middleware read is still there for the app


def test_sqs_query_protocol_requests_get_xml() -> None:
    engine = _engine({"service": "sqs", "operations": ["SendMessage"], "error": "ServiceUnavailable"})
    app = middleware(_App(), engine)
    form = b"Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%2F123%2Forders-q&MessageBody=x"
    environ = _environ("sqs", form, CONTENT_TYPE="application/x-www-form-urlencoded")
    status, headers, answer = _call(app, environ)
    assert status == "503 Service Unavailable"
    assert headers["Content-Type"] == "text/xml" and b"<Code>ServiceUnavailable</Code>" in answer


def test_lambda_invoke_by_path_and_crash_only_on_invoke() -> None:
    engine = _engine({"service": "lambda", "resources": ["fn"], "error": "crash"})
    app = middleware(_App(), engine)
    invoke = _environ("lambda", b"{}", PATH_INFO="/2015-03-31/functions/fn/invocations")
    status, headers, answer = _call(app, invoke)
    assert status == "200 OK" and headers["X-Amz-Function-Error"] == "Unhandled"
    assert json.loads(answer)["errorType"] == "Runtime.ExitError"
    get = _environ("lambda", PATH_INFO="/2015-03-31/functions/fn", REQUEST_METHOD="GET")
    assert _call(app, get)[2] == b"moto"  # a crash is for invocations only


def test_unsigned_requests_and_services_without_rules_go_straight_through() -> None:
    inner = _App()
    app = middleware(inner, _engine({"service": "ses", "error": "Throttling"}))
    unsigned = _environ("ses", b"Action=SendEmail")
    del unsigned["HTTP_AUTHORIZATION"]
    assert _call(app, unsigned)[2] == b"moto"
    assert (
        _call(app, _environ("dynamodb", b"{}", HTTP_X_AMZ_TARGET="DynamoDB_20120810.GetItem"))[2] == b"moto"
    )
    ses = _environ("email", b"Action=SendEmail", CONTENT_TYPE="application/x-www-form-urlencoded")
    assert _call(app, ses)[0] == "400 Bad Request"  # SES signs as "email"
