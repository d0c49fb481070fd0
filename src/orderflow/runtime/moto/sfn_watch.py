"""Step Functions gap: nothing outside moto's ASL interpreter learns that an execution started or ended.

On AWS, Step Functions records ``AWS/States`` metrics per state machine (ExecutionsStarted,
ExecutionsSucceeded/Failed/TimedOut/Aborted, ExecutionTime) that alarms watch; moto records none, and
offers no callback. ``sfn_execution_events`` hands each execution's start and end to the running
runtime (:meth:`Hooks.execution_event`), which records the metrics and writes the console's one line
per start and end. It wraps ``Execution.start`` and the worker communication's ``terminated`` (where
moto sets the final status), so Standard, Express and synchronous executions are all seen.

The end is told *before* the final status shows: moto's ``terminated`` writes the status, stop date,
output, error and cause onto a stand-in (:class:`_Staged`), the runtime is told (it records the
ExecutionsFailed/... metric), and only then are they written onto the execution, the status last. So a
caller that sees DescribeExecution say FAILED can count on the metric being there (an alarm evaluated
right after sees its data point); without this the two raced (the status first, the metric after, on
the execution's thread).
"""

from __future__ import annotations

import copy
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


class _Staged:
    """Stands in for an execution while moto's ``terminated`` sets its final values: what is set
    stays here (and is read back from here) until :meth:`apply`; everything else is the execution's."""

    def __init__(self, execution: Any) -> None:
        object.__setattr__(self, "_execution", execution)
        object.__setattr__(self, "_changes", {})

    def __getattr__(self, name: str) -> Any:
        changes = self._changes
        return changes[name] if name in changes else getattr(self._execution, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._changes[name] = value

    def apply(self) -> None:
        """Onto the execution, ``exec_status`` last: once a reader sees the final status, the rest is set."""
        changes = dict(self._changes)
        status = changes.pop("exec_status", None)
        for name, value in changes.items():
            setattr(self._execution, name, value)
        if status is not None:
            self._execution.exec_status = status


def _apply_execution_events(patcher: Patcher) -> None:
    original_start = Execution.start
    original_terminated = BaseExecutionWorkerCommunication.terminated

    def start(self: Any) -> None:
        _notify("started", self)
        original_start(self)

    def terminated(self: Any) -> None:
        staged = _Staged(self.execution)
        communication = copy.copy(self)  # the same worker communication (Sync's too), aimed at the stand-in
        communication.execution = staged
        original_terminated(communication)
        _notify("ended", staged)  # the runtime records the end's metric while the status still shows RUNNING
        staged.apply()

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
