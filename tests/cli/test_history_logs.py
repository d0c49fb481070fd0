"""`orderflow history` for EXPRESS: executions read back from the log group's Step Functions records
(no runtime: a fake CloudWatch Logs client hands out the records)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from orderflow.errors import OrderflowError
from orderflow.history import (
    details_key,
    express_history,
    format_history,
    log_group_of,
    logged_executions,
)

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:shop-Workflow"
GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/shop-Workflow:*"


def express_arn(name: str, run: str) -> str:
    return f"arn:aws:states:eu-west-1:123456789012:express:shop-Workflow:{name}:{run}"


def record(arn: str, event_id: int, event_type: str, at_ms: int, **details: Any) -> dict[str, Any]:
    return {
        "message": json.dumps(
            {
                "id": str(event_id),
                "type": event_type,
                "details": details,
                "previous_event_id": str(event_id - 1),
                "event_timestamp": str(at_ms),
                "execution_arn": arn,
                "redrive_count": "0",
            }
        )
    }


class FakeLogs:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_paginator(self, name: str) -> Any:
        assert name == "filter_log_events"
        events = self.events

        class Pages:
            def paginate(self, logGroupName: str) -> list[dict[str, Any]]:
                assert logGroupName == "/aws/vendedlogs/states/shop-Workflow"
                return [{"events": events[:2]}, {"events": events[2:]}]

        return Pages()


class FakeSfn:
    def __init__(self, logging: dict[str, Any]) -> None:
        self.logging = logging

    def describe_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        return {"name": "shop-Workflow", "type": "EXPRESS", "loggingConfiguration": self.logging}


LOGGED = {"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}]}


def test_the_log_group_is_read_from_the_logging_configuration() -> None:
    assert log_group_of({"loggingConfiguration": LOGGED}) == "/aws/vendedlogs/states/shop-Workflow"
    assert log_group_of({"loggingConfiguration": {**LOGGED, "level": "OFF"}}) is None
    assert log_group_of({}) is None


def test_records_are_grouped_by_execution_in_event_order_and_foreign_lines_skipped() -> None:
    first, second = express_arn("o-1", "a"), express_arn("o-2", "b")
    logs = FakeLogs(
        [
            record(first, 2, "PassStateEntered", 1_000_010, name="Done"),
            {"message": "not json"},
            record(second, 1, "ExecutionStarted", 1_000_020),
            record(first, 1, "ExecutionStarted", 1_000_000, input="{}"),
        ]
    )
    executions = logged_executions(logs, "/aws/vendedlogs/states/shop-Workflow")
    assert {arn: [e["id"] for e in events] for arn, events in executions.items()} == {
        first: [1, 2],
        second: [1],
    }
    assert executions[first][1]["stateEnteredEventDetails"] == {"name": "Done"}
    assert (executions[first][1]["timestamp"] - executions[first][0]["timestamp"]).total_seconds() == 0.01


def test_the_latest_run_of_a_name_is_shown_with_its_outcome() -> None:
    older, newer = express_arn("o-1", "old"), express_arn("o-1", "new")
    output = json.dumps({"status": "REJECTED", "reason": "OutOfStock"})
    logs = FakeLogs(
        [
            record(older, 1, "ExecutionStarted", 1_000_000),
            record(older, 2, "ExecutionFailed", 1_000_050, error="Boom"),
            record(newer, 1, "ExecutionStarted", 2_000_000),
            record(newer, 2, "TaskStateEntered", 2_000_005, name="CheckStock"),
            record(newer, 3, "TaskFailed", 2_000_030, error="OutOfStock", cause="no stock"),
            record(newer, 4, "ExecutionSucceeded", 2_000_040, output=output),
        ]
    )
    description, events = express_history(FakeSfn(LOGGED), logs, MACHINE, "o-1", "http://local")

    assert description["executionArn"] == newer
    assert (description["name"], description["status"]) == ("o-1", "SUCCEEDED")
    table = format_history(description, events)
    assert table.splitlines()[0] == "execution o-1  SUCCEEDED  (40 ms)"
    assert re.search(r"CheckStock +1  TaskFailed", table) and "OutOfStock: no stock" in table
    assert "status=REJECTED (OutOfStock)" in table


def test_an_unlogged_machine_or_an_unknown_name_is_one_clear_line() -> None:
    with pytest.raises(OrderflowError, match="EXPRESS state machine without logging"):
        express_history(FakeSfn({"level": "OFF"}), FakeLogs([]), MACHINE, "o-1", "http://local")
    with pytest.raises(OrderflowError, match="no execution 'o-9' in log group"):
        express_history(FakeSfn(LOGGED), FakeLogs([]), MACHINE, "o-9", "http://local")


@pytest.mark.parametrize(
    ("event_type", "key"),
    [
        ("TaskScheduled", "taskScheduledEventDetails"),
        ("ExecutionSucceeded", "executionSucceededEventDetails"),
        ("LambdaFunctionFailed", "lambdaFunctionFailedEventDetails"),
        ("ChoiceStateEntered", "stateEnteredEventDetails"),
        ("TaskStateExited", "stateExitedEventDetails"),
        ("MapIterationStarted", "mapIterationStartedEventDetails"),
    ],
)
def test_logged_details_sit_under_get_execution_history_keys(event_type: str, key: str) -> None:
    assert details_key(event_type) == key
