"""Reading what ran: the functions' REPORT lines and an execution's history (no stack needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orderflow.cost.collect import (
    _attempts,
    express_log_group,
    parse_function_log,
    sqs_requests,
    workflow_log_bytes,
)
from orderflow.errors import OrderflowError

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def test_report_lines_give_count_duration_and_bytes_per_invocation() -> None:
    first = (
        b"START RequestId: r1 Version: $LATEST\n"
        b'{"level":"INFO","message":"validated"}\n'
        b"END RequestId: r1\n"
        b"REPORT RequestId: r1\tDuration: 12.50 ms\tMemory Size: 256 MB\n"
    )
    second = b"START RequestId: r2 Version: $LATEST\nEND RequestId: r2\n"
    second += b"REPORT RequestId: r2\tDuration: 2.25 ms\n"
    log = parse_function_log(b"cold start noise outside any request\n" + first + second)
    assert log.invocations == 2
    assert log.duration_ms == Decimal("14.75") and log.mean_ms == Decimal("7.375")
    assert log.log_bytes == len(first) + len(second)


def event(n: int, kind: str, ms: int, **details: Any) -> dict[str, Any]:
    # as AWS names them: every *StateEntered event carries stateEnteredEventDetails, and so on
    base = next((s for s in ("StateEntered", "StateExited") if kind.endswith(s)), kind)
    key = base[0].lower() + base[1:] + "EventDetails"
    return {"id": n, "type": kind, "timestamp": T0 + timedelta(milliseconds=ms), key: details}


def lambda_task(n: int, state: str, ms: int, error: str | None) -> list[dict[str, Any]]:
    parameters = json.dumps({"FunctionName": f"arn:aws:lambda:us-east-1:1:function:{state}Fn", "Payload": {}})
    end = (
        event(n + 2, "TaskSucceeded", ms + 10, output="{}")
        if error is None
        else event(n + 2, "TaskFailed", ms + 10, error=error)
    )
    return [
        event(n, "TaskScheduled", ms, resourceType="lambda", resource="invoke", parameters=parameters),
        event(n + 1, "TaskStarted", ms + 1),
        end,
    ]


def test_history_transitions_retries_and_outcome() -> None:
    history = [
        event(1, "ExecutionStarted", 0, input="{}"),
        event(2, "TaskStateEntered", 1, name="CheckStock"),
        *lambda_task(3, "CheckStock", 2, "Lambda.TooManyRequestsException"),  # throttled: ran nothing
        *lambda_task(6, "CheckStock", 20, None),  # the retry
        event(9, "TaskStateExited", 40, name="CheckStock"),
        event(10, "PassStateEntered", 41, name="OrderConfirmed"),
        event(11, "PassStateExited", 42, name="OrderConfirmed"),
        event(12, "ExecutionSucceeded", 43, output=json.dumps({"status": "CONFIRMED"})),
    ]
    attempts, transitions, outcome = _attempts(history)
    # two states entered + one retry
    assert transitions == 3
    assert outcome == "CONFIRMED"
    assert [(a.state, a.outcome, a.error) for a in attempts] == [
        ("CheckStock", "failed", "Lambda.TooManyRequestsException"),
        ("CheckStock", "succeeded", ""),
    ]
    assert attempts[1].started == T0 + timedelta(milliseconds=21)
    assert attempts[1].ended == T0 + timedelta(milliseconds=30)


def test_rejected_and_failed_outcomes() -> None:
    output = json.dumps({"status": "REJECTED", "reason": "OutOfStock"})
    rejected = [event(1, "ExecutionSucceeded", 0, output=output)]
    assert _attempts(rejected)[2] == "REJECTED"
    assert _attempts([event(1, "ExecutionFailed", 0, error="States.Runtime")])[2] == "FAILED"


def test_workflow_log_records_are_sized_as_step_functions_writes_them() -> None:
    one = [event(1, "ExecutionStarted", 0, input='{"orderId": "o-1"}')]
    record = {
        "id": "1",
        "type": "ExecutionStarted",
        "details": {"input": '{"orderId": "o-1"}'},
        "previous_event_id": "0",
        "event_timestamp": str(int(T0.timestamp() * 1000)),
        "execution_arn": "arn:x",
    }
    assert workflow_log_bytes(one, "arn:x") == len(json.dumps(record, separators=(",", ":")))


def test_sqs_requests_are_64_kb_chunks() -> None:
    assert sqs_requests({"orderId": "o-1"}) == 1
    assert sqs_requests("x" * (64 * 1024)) == 1
    assert sqs_requests("x" * (64 * 1024 + 1)) == 2


def test_an_express_state_machine_is_read_from_its_log_group_when_it_logs_all_with_data() -> None:
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/shop-Wf:*"
    logging = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }
    described = {"name": "shop-Wf", "type": "EXPRESS", "loggingConfiguration": logging}
    assert express_log_group(described) == "/aws/vendedlogs/states/shop-Wf"

    for unreadable in (
        {**logging, "level": "ERROR"},
        {**logging, "includeExecutionData": False},
        {"level": "OFF"},
    ):
        with pytest.raises(OrderflowError) as info:
            express_log_group({**described, "loggingConfiguration": unreadable})
        message = str(info.value)
        assert "\n" not in message
        assert "shop-Wf is EXPRESS" in message and "WorkflowType=STANDARD" in message
