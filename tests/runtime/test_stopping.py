"""A stop refuses new work with 503 and waits a bounded grace for what runs (runtime/stopping.py, the
embedded AWS's new-work check, the local API's refusal). No real waits: the clock is injected."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from orderflow.api import ApiServer
from orderflow.runtime import embedded_aws
from orderflow.runtime.stopping import REFUSED, RETRY_AFTER_S, Stopping


def call(app: Any, target: str, body: bytes = b"{}") -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_X_AMZ_TARGET": target,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answer: list[Any] = []
    out = b"".join(app(environ, lambda status, headers, *exc: answer.extend([status, headers])))
    return answer[0], dict(answer[1]), out


def test_once_a_stop_began_the_embedded_aws_refuses_new_executions_with_503_and_serves_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stopping = Stopping()
    seen: list[str] = []

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["HTTP_X_AMZ_TARGET"])
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b"{}"]

    monkeypatch.setattr(embedded_aws, "moto_wsgi_app", lambda: moto)
    app = embedded_aws.aws_app({}, stopping=stopping)
    assert call(app, "AWSStepFunctions.StartExecution")[0] == "200 OK"
    stopping.begin()
    for target in ("AWSStepFunctions.StartExecution", "AWSStepFunctions.StartSyncExecution"):
        status, headers, body = call(app, target)
        assert status.startswith("503")
        assert headers["Retry-After"] == str(RETRY_AFTER_S)
        assert json.loads(body) == {
            "__type": "com.amazonaws.swf.service.model#ServiceUnavailable",
            "message": REFUSED,
        }
    # what executions already running call goes on: their tasks' AWS calls, and reads
    for target in ("DynamoDB_20120810.TransactWriteItems", "AWSStepFunctions.DescribeExecution"):
        assert call(app, target)[0] == "200 OK"
    assert seen == [
        "AWSStepFunctions.StartExecution",
        "DynamoDB_20120810.TransactWriteItems",
        "AWSStepFunctions.DescribeExecution",
    ]


def test_the_local_api_answers_new_requests_503_once_refusing_and_counts_those_in_flight() -> None:
    inside, release = threading.Event(), threading.Event()

    def invoke(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        inside.set()
        release.wait(30)
        return {"statusCode": 202, "body": "{}"}

    route = type("R", (), {"method": "POST", "path": "/orders", "function_name": "Fn", "resource": "/orders"})
    with ApiServer([route()], invoke, port=0, integration_timeout=None) as api:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/orders",
            "CONTENT_LENGTH": "0",
            "wsgi.input": io.BytesIO(),
        }
        answers: list[Any] = []
        worker = threading.Thread(target=lambda: answers.append(call_wsgi(api, dict(environ))), daemon=True)
        worker.start()
        assert inside.wait(30)
        assert api.in_flight() == 1
        api.refuse_new("the local runtime is stopping", 5)
        status, headers, body = call_wsgi(api, dict(environ, **{"wsgi.input": io.BytesIO()}))
        assert status.startswith("503") and headers["Retry-After"] == "5"
        assert json.loads(body) == {"message": "the local runtime is stopping"}
        release.set()
        worker.join(30)
        assert answers[0][0].startswith("202"), "the request in flight finished as it would have"
        assert api.in_flight() == 0


def call_wsgi(api: ApiServer, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answer: list[Any] = []
    out = b"".join(api.wsgi_app(environ, lambda status, headers, *exc: answer.extend([status, headers])))
    return answer[0], dict(answer[1]), out


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_drain_ends_when_nothing_runs_when_the_grace_is_over_or_when_hurried() -> None:
    clock = Clock()
    stopping = Stopping(clock, wait=lambda condition, seconds: None)
    assert stopping.drain(10, lambda: 0) == 0  # nothing runs: at once
    assert stopping.drain(0, lambda: 3) == 3  # no grace: what runs is left running

    left = [2]

    def running() -> int:  # each look moves the clock on 1 s: the grace of 5 s runs out
        clock.now += 1
        return left[0]

    assert stopping.drain(5, running) == 2 and clock.now >= 5

    clock.now = 0.0

    def ending() -> int:  # the executions end (notify) before the grace is over
        if clock.now >= 2:
            left[0] = 0
        clock.now += 1
        return left[0]

    left[0] = 2
    assert stopping.drain(60, ending) == 0 and clock.now < 60

    stopping.hurry()
    assert stopping.drain(60, lambda: 4) == 4, "a second Ctrl-C: no more waiting"
