"""The console's JSON API without a runtime: a step's Lambda log lines, and answers to bad requests."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from orderflow.console import ConsoleApi, ConsoleSources
from orderflow.console.server import invocation_lines

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch ms


def event(offset_ms: int, message: str, stream: str = "2026/01/01/[$LATEST]a") -> dict[str, Any]:
    return {
        "timestamp": T0 + offset_ms,
        "logStreamName": stream,
        "message": message + "\n",
        "eventId": str(offset_ms),
    }


def test_lines_belong_to_the_invocation_their_stream_started() -> None:
    events = [
        event(0, "still the previous invocation"),  # its START was before the window
        event(1, "END RequestId: old-1"),
        event(2, "START RequestId: r-1 Version: $LATEST"),
        event(3, "START RequestId: r-2 Version: $LATEST", stream="b"),
        event(4, '{"level": "INFO", "message": "validating"}'),
        event(5, "other worker", stream="b"),
        event(6, "END RequestId: r-1"),
        event(7, "REPORT RequestId: r-1\tDuration: 3.00 ms"),
    ]
    lines = invocation_lines(events)
    assert [(line["requestId"], line["message"]) for line in lines] == [
        ("r-1", "START RequestId: r-1 Version: $LATEST"),
        ("r-2", "START RequestId: r-2 Version: $LATEST"),
        ("r-1", '{"level": "INFO", "message": "validating"}'),
        ("r-2", "other worker"),
        ("r-1", "END RequestId: r-1"),
        ("r-1", "REPORT RequestId: r-1\tDuration: 3.00 ms"),
    ]


def test_unmarked_lines_are_all_kept() -> None:
    lines = invocation_lines([event(1, "b"), event(0, "a")])
    assert [(line["message"], line["requestId"]) for line in lines] == [("a", None), ("b", None)]


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


def test_a_steps_log_lines_come_from_its_functions_group_over_the_attempt() -> None:
    logs = FakeLogs([event(10, "START RequestId: r Version: $LATEST"), event(11, "END RequestId: r")])
    status, answer = api_with_logs(logs).handle(
        "GET",
        "/api/logs",
        {
            "function": "arn:aws:lambda:us-east-1:123456789012:function:stack-Validate-ABC",
            "start": "2026-01-01T00:00:00.005+00:00",
            "end": "2026-01-01T00:00:00.020+00:00",
        },
        b"",
    )
    assert status == 200
    assert answer["group"] == "/aws/lambda/stack-Validate-ABC"
    assert logs.asked == {
        "logGroupName": "/aws/lambda/stack-Validate-ABC",
        "startTime": T0 + 5 - 50,
        "endTime": T0 + 20 + 50,
    }
    assert [line["message"] for line in answer["lines"]] == [
        "START RequestId: r Version: $LATEST",
        "END RequestId: r",
    ]


def test_a_missing_log_group_is_said_not_raised() -> None:
    status, answer = api_with_logs(FakeLogs(None)).handle(
        "GET", "/api/logs", {"function": "fn", "start": "2026-01-01T00:00:00+00:00"}, b""
    )
    assert status == 200
    assert answer["lines"] == []
    assert "/aws/lambda/fn does not exist" in answer["notice"]


def test_bad_requests_are_json_4xx() -> None:
    api = api_with_logs(FakeLogs([]))
    assert api.handle("GET", "/api/logs", {"function": "fn", "start": "yesterday"}, b"")[0] == 400
    assert api.handle("GET", "/api/logs", {"start": "2026-01-01T00:00:00+00:00"}, b"")[0] == 400
    assert api.handle("DELETE", "/api/logs", {}, b"")[0] == 405
    assert api.handle("GET", "/api/nope", {}, b"")[0] == 404
    status, answer = api.handle("POST", "/api/start", {}, b"{not json")
    assert (status, answer["message"]) == (400, "the request body is not JSON")
    status, answer = api.handle("POST", "/api/start", {}, b'{"machine": "x"}')
    assert (status, answer["message"]) == (400, "machine must be a state machine ARN")


def test_an_invocation_started_before_the_attempt_is_left_out() -> None:
    """Another execution's invocation that started just before the attempt (inside the window's slack)
    is not the attempt's."""
    events = [
        event(0, "START RequestId: earlier Version: $LATEST"),
        event(1, "END RequestId: earlier"),
        event(40, "START RequestId: mine Version: $LATEST"),
        event(41, "END RequestId: mine"),
    ]
    window_start = events[2]["timestamp"] - 1
    lines = invocation_lines(events, not_before_ms=window_start)
    assert {line["requestId"] for line in lines} == {"mine"}
