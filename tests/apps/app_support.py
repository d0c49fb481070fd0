"""What the sample apps' tests share: bounded waits on what the apps wrote."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

DEADLINE_S = 20.0


def wait_until(condition: Callable[[], Any], what: str, deadline: float = DEADLINE_S) -> Any:
    """``condition()`` until it is truthy (polled, at most ``deadline`` seconds): its value."""
    pause = threading.Event()
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value or time.monotonic() > end:
            break
        pause.wait(0.05)
    if not value:
        raise AssertionError(f"gave up waiting for {what}")
    return value


def recorded(
    rt: Any, label: str, match: Callable[[dict[str, Any]], bool], at_least: int = 1
) -> list[dict[str, Any]]:
    """The events the recorder function of ``label`` wrote to SeenTable that ``match``, once there
    are ``at_least`` of them (0: what is there now)."""

    def found() -> list[dict[str, Any]]:
        items = rt.client("dynamodb").scan(TableName=rt.outputs["SeenTableName"])["Items"]
        events = [json.loads(item["event"]["S"]) for item in items if item["label"]["S"] == label]
        return [event for event in events if match(event)]

    if at_least == 0:
        return found()
    return list(wait_until(lambda: found() if len(found()) >= at_least else None, f"a {label} event"))


def executions_of(rt: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    """Every execution of the state machine, described (newest first)."""
    sfn = rt.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]
