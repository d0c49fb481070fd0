"""`orderflow history`'s output: full errors wrapped (never cut), attempts numbered, --json, and a quiet
end on a closed pipe (no runtime: events built here, the loader replaced)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

import pytest

from orderflow import cli
from orderflow.history import format_history, history_json

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PRODUCTS = ", ".join(f"product-{i}" for i in range(40))
LONG_CAUSE = f"the stock of {PRODUCTS} moved\nsecond line of the cause"


def event(event_id: int, event_type: str, ms: int, **details: Any) -> dict[str, Any]:
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    at = T0 + dt.timedelta(milliseconds=ms)
    item: dict[str, Any] = {"id": event_id, "type": event_type, "timestamp": at}
    if details:
        item[key] = details
    return item


EVENTS = [
    event(1, "ExecutionStarted", 0),
    event(2, "TaskStateEntered", 1, name="WriteOrder"),
    event(3, "LambdaFunctionScheduled", 2),
    event(4, "LambdaFunctionStarted", 3),
    event(5, "LambdaFunctionFailed", 10, error="Lambda.TooManyRequestsException", cause="Rate Exceeded."),
    event(6, "LambdaFunctionScheduled", 20),
    event(7, "LambdaFunctionStarted", 21),
    event(8, "LambdaFunctionFailed", 30, error="OutOfStock", cause=LONG_CAUSE),
    event(9, "TaskStateExited", 31, name="WriteOrder"),
    event(10, "ExecutionFailed", 32, error="OutOfStock", cause=LONG_CAUSE),
]
DESCRIPTION = {
    "name": "o-1",
    "status": "FAILED",
    "startDate": T0,
    "stopDate": T0 + dt.timedelta(milliseconds=32),
    "error": "OutOfStock",
    "cause": LONG_CAUSE,
    "ResponseMetadata": {"HTTPStatusCode": 200},
}


def test_errors_are_wrapped_to_the_width_and_never_cut() -> None:
    table = format_history(DESCRIPTION, EVENTS, width=100)
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    flat = " ".join(" ".join(lines).split())
    assert "product-39 moved" in flat and "second line of the cause" in flat
    assert flat.count("product-39") == 3, "in the title, the failed attempt and the execution's failure"


def test_attempts_are_numbered_per_state() -> None:
    table = format_history(DESCRIPTION, EVENTS, width=200)
    failed = [line for line in table.splitlines() if "LambdaFunctionFailed" in line]
    assert [line.split()[2] for line in failed] == ["1", "2"], failed


def test_json_has_the_execution_and_every_event_with_its_attempt() -> None:
    document = json.loads(history_json(DESCRIPTION, EVENTS))
    assert document["execution"]["cause"] == LONG_CAUSE
    assert "ResponseMetadata" not in document["execution"]
    assert document["execution"]["startDate"] == "2026-01-01T00:00:00+00:00"
    attempts = [(e["type"], e["attempt"]) for e in document["events"] if e["attempt"] is not None]
    assert attempts == [
        ("LambdaFunctionScheduled", 1),
        ("LambdaFunctionStarted", 1),
        ("LambdaFunctionFailed", 1),
        ("LambdaFunctionScheduled", 2),
        ("LambdaFunctionStarted", 2),
        ("LambdaFunctionFailed", 2),
    ]
    assert document["events"][7]["state"] == "WriteOrder"
    assert document["events"][7]["lambdaFunctionFailedEventDetails"]["cause"] == LONG_CAUSE


def test_history_json_flag_and_a_closed_pipe_end_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import orderflow.discovery
    import orderflow.history

    monkeypatch.setattr(orderflow.history, "load_history", lambda *args, **kwargs: (DESCRIPTION, EVENTS))
    monkeypatch.setattr(orderflow.discovery, "answers", lambda url: True)  # no runtime is asked
    assert cli.main(["history", "o-1", "--json", "--endpoint", "http://127.0.0.1:1"]) == 0
    assert json.loads(capsys.readouterr().out)["execution"]["name"] == "o-1"

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) is gone
    saved = os.dup(1)
    pipe = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        code = cli.main(["history", "o-1", "--endpoint", "http://127.0.0.1:1"])
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert code == 0
    assert capsys.readouterr().err == ""


def test_history_reads_the_stacks_resources_once(
    moto_stack: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One DescribeStackResources per `orderflow history` (it used to ask twice: for an EXPRESS
    machine, then for the execution's)."""
    import orderflow.history

    calls: list[str] = []
    real = orderflow.history.stack_resources

    def counted(endpoint: str, stack_name: str, region: str | None = None) -> list[dict[str, Any]]:
        calls.append(stack_name)
        return real(endpoint, stack_name, region)

    monkeypatch.setattr(orderflow.history, "stack_resources", counted)
    assert cli.main(["history", "o-1", "--endpoint", moto_stack]) == 1
    assert "stack 'orderflow' has no state machine" in capsys.readouterr().err
    assert calls == ["orderflow"]
