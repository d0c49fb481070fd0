"""The console's JSON API without a runtime: a step's Lambda log lines, and answers to bad requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orderflow.console import ConsoleApi, ConsoleSources
from orderflow.console.logs import invocation_lines

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch ms


def event(offset_ms: int, message: str, stream: str = "2026/01/01/[$LATEST]a") -> dict[str, Any]:
    return {
        "timestamp": T0 + offset_ms,
        "logStreamName": stream,
        "message": message + "\n",
        "eventId": str(offset_ms),
    }


def test_an_invocations_lines_run_from_its_start_to_its_report() -> None:
    events = [
        event(0, "still the previous invocation"),
        event(1, "REPORT RequestId: old-1\tDuration: 1.00 ms"),
        event(2, "START RequestId: r-1 Version: $LATEST"),
        event(4, '{"level": "INFO", "message": "validating"}'),
        event(6, "END RequestId: r-1"),
        event(7, "REPORT RequestId: r-1\tDuration: 3.00 ms"),
        event(8, "START RequestId: r-3 Version: $LATEST"),
        event(9, "the next invocation"),
    ]
    lines, complete = invocation_lines(events, "r-1")
    assert complete
    assert [(line["requestId"], line["message"]) for line in lines] == [
        ("r-1", "START RequestId: r-1 Version: $LATEST"),
        ("r-1", '{"level": "INFO", "message": "validating"}'),
        ("r-1", "END RequestId: r-1"),
        ("r-1", "REPORT RequestId: r-1\tDuration: 3.00 ms"),
    ]
    # not reported yet: what there is, incomplete; an environment that died: up to the next START
    assert [line["message"] for line in invocation_lines(events[:4], "r-1")[0]][-1] == (
        '{"level": "INFO", "message": "validating"}'
    )
    assert invocation_lines(events[:4], "r-1")[1] is False
    died = [
        event(0, "START RequestId: r-9 Version: $LATEST"),
        event(1, "START RequestId: r-10 Version: $LATEST"),
    ]
    assert [line["message"] for line in invocation_lines(died, "r-9")[0]] == [died[0]["message"].rstrip()]
    assert invocation_lines(events, "r-404") == ([], False)


class FakeLogs:
    def __init__(self, events: list[dict[str, Any]] | None) -> None:
        self.events = events
        self.asked: dict[str, Any] = {}

    def get_paginator(self, name: str) -> Any:
        assert name == "filter_log_events"
        return self

    def paginate(self, **kwargs: Any) -> Any:
        self.asked = kwargs
        if self.events is None:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "FilterLogEvents"
            )
        return [{"events": self.events}]


def api_with_logs(logs: FakeLogs) -> ConsoleApi:
    api = ConsoleApi(ConsoleSources(endpoint_url="http://127.0.0.1:1", region="us-east-1", stack_name="s"))
    api._clients["logs"] = logs
    return api


def test_a_missing_log_group_is_said_not_raised() -> None:
    status, answer = api_with_logs(FakeLogs(None)).handle(
        "GET", "/api/logs", {"function": "fn", "requestId": "r-1"}, b""
    )
    assert status == 200
    assert answer["lines"] == []
    assert "/aws/lambda/fn does not exist" in answer["notice"]


def test_bad_requests_are_json_4xx() -> None:
    api = api_with_logs(FakeLogs([]))
    assert api.handle("GET", "/api/logs", {"function": "fn", "requestId": "x y"}, b"")[0] == 400
    assert api.handle("GET", "/api/logs", {"requestId": "r-1"}, b"")[0] == 400
    assert api.handle("DELETE", "/api/logs", {}, b"")[0] == 405
    assert api.handle("GET", "/api/nope", {}, b"")[0] == 404
    status, answer = api.handle("POST", "/api/start", {}, b"{not json")
    assert (status, answer["message"]) == (400, "the request body is not JSON")
    status, answer = api.handle("POST", "/api/start", {}, b'{"machine": "x"}')
    assert (status, answer["message"]) == (400, "machine must be a state machine ARN")


# ------------------------------------------------------------------- by request id, in moto's Logs

GROUP = "/aws/lambda/stack-CheckStock-ABC"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:stack-CheckStock-ABC"


def overlapping_invocations(logs: Any) -> None:
    """Two environments of one function running two executions' invocations at the same time, as
    CloudWatch Logs holds them: r-a in stream a, r-b in stream b, their lines interleaved in time."""
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName=GROUP)
    lines = {
        "a": [
            (0, "START RequestId: r-a Version: $LATEST"),
            (3, "checking order A"),
            (5, "END RequestId: r-a"),
            (6, "REPORT RequestId: r-a\tDuration: 6.00 ms"),
        ],
        "b": [
            (1, "START RequestId: r-b Version: $LATEST"),
            (2, "checking order B"),
            (4, "END RequestId: r-b"),
            (7, "REPORT RequestId: r-b\tDuration: 6.00 ms"),
        ],
    }
    for stream, events in lines.items():
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=stream,
            logEvents=[{"timestamp": now + offset, "message": message} for offset, message in events],
        )


@pytest.fixture
def moto_logs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


def logs_answer(logs: Any, **query: str) -> dict[str, Any]:
    api = ConsoleApi(ConsoleSources(endpoint_url="http://127.0.0.1:1", region="us-east-1", stack_name="s"))
    api._clients["logs"] = logs
    status, answer = api.handle("GET", "/api/logs", {"function": FUNCTION, **query}, b"")
    assert status == 200, answer
    return answer


def test_an_attempt_shows_only_its_own_invocation_when_invocations_overlap(moto_logs: Any) -> None:
    overlapping_invocations(moto_logs)
    answer = logs_answer(moto_logs, requestId="r-a", invoked="true")
    assert answer["group"] == GROUP
    assert [line["message"] for line in answer["lines"]] == [
        "START RequestId: r-a Version: $LATEST",
        "checking order A",
        "END RequestId: r-a",
        "REPORT RequestId: r-a\tDuration: 6.00 ms",
    ]
    assert (answer["complete"], answer["notice"]) == (True, None)
    assert [line["message"] for line in logs_answer(moto_logs, requestId="r-b")["lines"]][
        1
    ] == "checking order B"


def test_a_throttled_attempt_shows_no_other_invocations_lines(moto_logs: Any) -> None:
    """Lambda answered the Invoke with an error (throttled): no invocation, no lines, even
    though other invocations of the function ran during the attempt (what a time window showed)."""
    overlapping_invocations(moto_logs)
    answer = logs_answer(moto_logs, requestId="d2c3b6a1-0000-4000-8000-000000000000", invoked="false")
    assert answer["lines"] == []
    assert answer["complete"] is True
    assert answer["notice"].startswith("no invocation: Lambda answered the Invoke (request d2c3b6a1-")
    assert "stack-CheckStock-ABC did not run, so there are no log lines" in answer["notice"]


def test_an_attempt_without_a_request_id_is_not_guessed_from_time(moto_logs: Any) -> None:
    overlapping_invocations(moto_logs)
    answer = logs_answer(moto_logs)
    assert answer["lines"] == []
    assert "does not say which invocation" in answer["notice"]


def test_an_invocation_not_shipped_yet_is_incomplete(moto_logs: Any) -> None:
    overlapping_invocations(moto_logs)
    answer = logs_answer(moto_logs, requestId="r-later", invoked="true")
    assert (answer["lines"], answer["complete"]) == ([], False)
    assert "no log lines of invocation r-later" in answer["notice"]
