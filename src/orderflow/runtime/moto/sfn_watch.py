"""Step Functions gap: nothing outside moto's ASL interpreter learns that an execution started or ended.

On AWS, Step Functions records ``AWS/States`` metrics per state machine (ExecutionsStarted,
ExecutionsSucceeded/Failed/TimedOut/Aborted, ExecutionTime) that alarms watch; moto records none, and
offers no callback. ``sfn_execution_events`` hands each execution's start and end to the running
runtime (:meth:`Hooks.execution_event`), which records the metrics and writes the console's one line
per start and end. It wraps ``Execution.start`` and the worker communication's ``terminated`` (where
moto sets the final status), so Standard, Express and synchronous executions are all seen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

from . import hooks
from .registry import REGISTRY, Patch, Patcher


def execution_info(execution: Any) -> dict[str, Any]:
    """What the runtime is told of an execution: plain values only."""
    machine = execution.state_machine
    status = getattr(execution.exec_status, "value", execution.exec_status)
    start = execution.start_date
    stop = execution.stop_date
    return {
        "executionArn": execution.exec_arn,
        "name": execution.name,
        "stateMachineArn": getattr(machine, "source_arn", None) or machine.arn,
        "stateMachineName": machine.name,
        "type": str(getattr(machine, "type", None) or "STANDARD"),
        "status": str(status) if status is not None else "RUNNING",
        "startDate": start,
        "stopDate": stop,
        "durationMs": ((stop - start).total_seconds() * 1000) if isinstance(stop, dt.datetime) else None,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
    }


def _notify(kind: str, execution: Any) -> None:
    if not hooks.attached():
        return
    handler = getattr(hooks.current(), "execution_event", None)
    if handler is not None:
        handler(kind, execution_info(execution))


def _apply_execution_events(patcher: Patcher) -> None:
    original_start = Execution.start
    original_terminated = BaseExecutionWorkerCommunication.terminated

    def start(self: Any) -> None:
        _notify("started", self)
        original_start(self)

    def terminated(self: Any) -> None:
        original_terminated(self)
        _notify("ended", self.execution)

    patcher.replace(Execution, "start", start)
    patcher.replace(BaseExecutionWorkerCommunication, "terminated", terminated)


SFN_EXECUTION_EVENTS = REGISTRY.register(
    Patch(
        "sfn_execution_events",
        "gap",
        "executions record no AWS/States metrics (ExecutionsStarted/Succeeded/Failed/TimedOut/Aborted, "
        "ExecutionTime) and moto offers no callback when one starts or ends; here each start and end "
        "is handed to the runtime, which records the metrics and logs one line each",
        _apply_execution_events,
        needs_runtime=True,
    )
)
