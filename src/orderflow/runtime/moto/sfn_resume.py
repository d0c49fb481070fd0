"""Standard executions interrupted by a stop (or a crash) resume after the restart, in moto's own ASL
interpreter, as the same execution: same ARN and name, the same history continued.

On AWS a started Standard execution runs to its end whatever happens to the machines under it. Here
the runtime stops, so an execution still RUNNING when the state is saved (``sfn_pickle`` keeps it
RUNNING, with its history) is resumed at the next start by :func:`resume_restored`:

* its **resume point** comes from its history (:func:`resume_point`): the last top-level state it
  entered and did not leave is entered again with the input it had (the state's own Retry and Catch
  apply again, their counts start afresh); after a state it left, the next state starts with that
  state's output; after the last state, the execution succeeds with its output. A Parallel or Map
  state interrupted inside is run again whole. The execution's TimeoutSeconds keeps counting from
  its start, less the time the runtime was down.
* a **Lambda task in flight** (its ``TaskStarted`` / ``LambdaFunctionStarted`` recorded, no result)
  did not survive: the runtime killed the function's environment at the stop. Its attempt ends as
  Lambda ends an invocation whose environment died, ``Runtime.ExitError`` (``TaskFailed`` /
  ``LambdaFunctionFailed``, cause: Lambda's error payload, saying the runtime stopped), and the
  state's Retry and Catch decide what follows, exactly as after a crashed environment: a task whose
  Retry covers ``Runtime.ExitError`` (an idempotent one) runs again; one that declares itself not
  idempotent goes to its Catch. That failure event is the interruption as the history shows it;
  the attempt's ``TaskScheduled`` / ``TaskStarted`` are the ones recorded before the stop (not
  repeated). Any other interrupted state shows the interruption as a second ``...StateEntered`` of
  the same state with the same input.
* the execution runs in moto's interpreter: a worker over the execution's own definition, with
  ``StartAt`` moved to the resume point, whose event history is the saved one (new events continue
  its ids; :class:`ReplayingEventManager`).

An execution that cannot be resumed (its definition has no such state, or does not parse) is
resolved, never left RUNNING: ABORTED with ``orderflow.Interrupted`` and a cause that says why.

Nothing here patches moto: it builds moto's own objects (``ExecutionWorker``, ``EventManager``,
``Program``) for the restored executions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus, HistoryEventType
from moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils import (
    LambdaFunctionErrorException,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

from . import state as moto_state

# The attempt's error, as Lambda reports an invocation whose environment died (the runtime killed the
# function's worker at the stop), so that the state's Retry/Catch on Runtime.ExitError applies.
EXIT_ERROR = "Runtime.ExitError"
STOPPED_NOTE = "the local runtime stopped while this invocation ran"

_IN_FLIGHT = {
    HistoryEventType.TaskStarted.value: HistoryEventType.TaskScheduled.value,
    HistoryEventType.LambdaFunctionStarted.value: HistoryEventType.LambdaFunctionScheduled.value,
}


@dataclasses.dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted execution goes on: ``state`` with ``state_input``; or, when ``state`` is
    None, the execution has ended with ``state_input`` as its output."""

    state: str | None
    state_input: Any
    previous_event_id: int  # the event the resumed run's first event follows
    # events of the resumed run already in the history (type, saved id): not recorded again
    replay: tuple[tuple[str, int], ...] = ()
    lambda_in_flight: bool = False  # the state's Lambda invocation was cut: it ends Runtime.ExitError


class Unresumable(ValueError):
    """The execution's history and definition give no point to resume at."""


def _is_lambda_task(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return state.get("Type") == "Task" and (
        resource.split(":::", 1)[-1].startswith("lambda:invoke") or ":lambda:" in resource
    )


def _event_type(event: dict[str, Any]) -> str:
    return str(getattr(event.get("type"), "value", event.get("type")))


def resume_point(
    definition: dict[str, Any], events: list[dict[str, Any]], execution_input: Any
) -> ResumePoint:
    """The point an execution with this history goes on from (Unresumable: none)."""
    states: dict[str, Any] = definition.get("States") or {}
    entered: tuple[int, dict[str, Any]] | None = None  # (position, event) of the last top-level entry
    exited: dict[str, Any] | None = None  # the last top-level exit after it
    for position, event in enumerate(events):
        kind = _event_type(event)
        if kind.endswith("StateEntered"):
            name = event.get("stateEnteredEventDetails", {}).get("name")
            if name in states:
                entered, exited = (position, event), None
        elif kind.endswith("StateExited"):
            name = event.get("stateExitedEventDetails", {}).get("name")
            if entered is not None and name == entered[1]["stateEnteredEventDetails"]["name"]:
                exited = event
    last_id = max((int(event.get("id", 0)) for event in events), default=0)
    if entered is None:
        start = definition.get("StartAt")
        if start not in states:
            raise Unresumable(f"its definition has no StartAt state {start!r}")
        return ResumePoint(start, execution_input, last_id)
    position, entry = entered
    details = entry["stateEnteredEventDetails"]
    name = details["name"]
    state = states[name]
    state_input = json.loads(details.get("input") or "null")
    if exited is not None and state.get("Type") != "Choice":  # a Choice is entered again: no side effects
        output = json.loads(exited["stateExitedEventDetails"].get("output") or "null")
        following = state.get("Next")
        if following is None:
            return ResumePoint(None, output, last_id)
        if following not in states:
            raise Unresumable(f"its definition has no state {following!r}")
        return ResumePoint(following, output, last_id)
    tail = events[position + 1 :]
    last = _event_type(tail[-1]) if tail else ""
    if _is_lambda_task(state) and last in _IN_FLIGHT and len(tail) >= 2:
        scheduled = tail[-2]
        if _event_type(scheduled) == _IN_FLIGHT[last]:
            replay = (
                (_event_type(entry), int(entry["id"])),
                (_IN_FLIGHT[last], int(scheduled["id"])),
                (last, int(tail[-1]["id"])),
            )
            previous = int(entry["previousEventId"])
            return ResumePoint(name, state_input, previous, replay, lambda_in_flight=True)
    return ResumePoint(name, state_input, last_id)


def _exit_error() -> LambdaFunctionErrorException:
    payload = {
        "errorType": EXIT_ERROR,
        "errorMessage": f"RequestId: {uuid.uuid4()} Error: Runtime exited with error: signal: killed "
        f"({STOPPED_NOTE})",
    }
    return LambdaFunctionErrorException("Unhandled", json.dumps(payload, separators=(",", ":")))


class ReplayingEventManager(EventManager):
    """moto's event history of one resumed execution: the saved events, then what the resumed run
    adds (ids continue). The resumed run's first events that stand for ones already recorded before
    the stop (``replay``) are not recorded again; when the last of them is a Lambda invocation's
    start, the invocation ends there with Runtime.ExitError (raised into moto's Task state, whose
    Retry/Catch handle it as any failed attempt)."""

    def __init__(
        self,
        events: list[dict[str, Any]],
        replay: tuple[tuple[str, int], ...],
        lambda_in_flight: bool,
        cloud_watch_logging_session: Any = None,
    ) -> None:
        super().__init__(cloud_watch_logging_session=cloud_watch_logging_session)
        self._history_event_list.extend(events)  # type: ignore[arg-type]
        self._event_id_gen._next_id = max((int(e.get("id", 0)) for e in events), default=0) + 1
        self._replay = list(replay)
        self._cut = lambda_in_flight
        self._replay_lock = threading.Lock()

    def add_event(
        self,
        context: Any,
        event_type: Any,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> int:
        with self._replay_lock:
            if self._replay:
                expected, event_id = self._replay[0]
                if str(getattr(event_type, "value", event_type)) == expected:
                    self._replay.pop(0)
                    context.last_published_event_id = event_id
                    if update_source_event_id:
                        context.source_event_id = event_id
                    if not self._replay and self._cut:
                        self._cut = False
                        raise _exit_error()
                    return event_id
                self._replay.clear()  # the run went another way: record from here on
                self._cut = False
        return int(super().add_event(context, event_type, event_details, timestamp, update_source_event_id))


def _with_start(definition: str, point: ResumePoint, elapsed_s: float) -> str:
    """The definition with StartAt at the resume point and TimeoutSeconds less the time already run."""
    parsed = json.loads(definition)
    parsed["StartAt"] = point.state
    if isinstance(parsed.get("TimeoutSeconds"), int):
        parsed["TimeoutSeconds"] = max(1, int(parsed["TimeoutSeconds"] - elapsed_s))
    return json.dumps(parsed)


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _elapsed_before_stop(execution: Any, events: list[dict[str, Any]]) -> float:
    start = _timestamp(execution.start_date)
    last = _timestamp(events[-1].get("timestamp")) if events else None
    return max(0.0, (last - start).total_seconds()) if start and last else 0.0


def _finish(execution: Any, output: Any, events: list[dict[str, Any]]) -> None:
    """The last state had ended: the execution succeeds with its output (as moto would have)."""
    now = dt.datetime.now(dt.UTC)
    last_id = max((int(e.get("id", 0)) for e in events), default=0)
    events.append(
        {
            "timestamp": now,
            "type": HistoryEventType.ExecutionSucceeded,
            "id": last_id + 1,
            "previousEventId": last_id,
            "executionSucceededEventDetails": {
                "output": json.dumps(output, separators=(",", ":")),
                "outputDetails": {"truncated": False},
            },
        }
    )
    execution.exec_status = ExecutionStatus.SUCCEEDED
    execution.output = output
    execution.stop_date = now


def resume(execution: Any) -> ResumePoint:
    """Run a restored RUNNING execution on from its resume point (Unresumable: it was not)."""
    saved = execution.exec_worker
    if not isinstance(saved, moto_state.SavedWorker):
        raise Unresumable("it has no saved history")
    events = saved.env.event_manager.events
    definition_text = execution.state_machine.definition
    try:
        definition = json.loads(definition_text)
    except ValueError as exc:
        raise Unresumable(f"its definition is not JSON ({exc})") from None
    point = resume_point(definition, events, execution.input_data)
    if point.state is None:
        _finish(execution, point.state_input, events)
        return point
    try:
        program = AmazonStateLanguageParser.parse(
            _with_start(definition_text, point, _elapsed_before_stop(execution, events))
        )[0]
    except Exception as exc:  # moto's parser raises plain exceptions
        raise Unresumable(f"its definition does not parse ({' '.join(str(exc).split())})") from None
    worker = execution._get_start_execution_worker()
    env = worker._get_evaluation_environment()
    env.event_manager = ReplayingEventManager(
        events, point.replay, point.lambda_in_flight, env.cloud_watch_logging_session
    )
    env.event_history_context.source_event_id = point.previous_event_id
    env.event_history_context.last_published_event_id = point.previous_event_id
    env.states.reset(point.state_input)
    worker.env = env
    execution.exec_worker = worker  # from now on its history is the live one

    def run() -> None:
        program.eval(env)
        worker._execution_communication.terminated()

    thread = threading.Thread(target=run, name=f"sfn-resumed-{execution.name}", daemon=True)
    TMP_THREADS.append(thread)
    thread.start()
    return point


@dataclasses.dataclass(frozen=True)
class Resumed:
    machine: str
    name: str
    state: str | None  # None: it had ended its last state and now succeeded
    error: str | None = None  # why it could not be resumed (it is ABORTED)


def restored_running(account_id: str, region: str) -> Iterator[Any]:
    """The executions restored from a state file that are still to be resumed."""
    backend: Any = stepfunctions_parser_backends[account_id][region]
    for machine in list(backend.state_machines):
        for execution in list(machine.executions):
            if execution.exec_status == ExecutionStatus.RUNNING and isinstance(
                execution.exec_worker, moto_state.SavedWorker
            ):
                yield execution


def resume_restored(
    account_id: str, region: str, notify: Callable[[str, Any], None] | None = None
) -> list[Resumed]:
    """Resume every restored RUNNING execution; resolve (ABORTED, orderflow.Interrupted) any that
    cannot be. ``notify("resumed" | "ended", execution)`` for each (the runtime's log and metrics)."""
    done = []
    for execution in restored_running(account_id, region):
        machine = execution.state_machine.name
        try:
            point = resume(execution)
        except Unresumable as exc:
            moto_state.mark_interrupted(
                execution,
                cause=f"the local runtime stopped while this execution was running; it could "
                f"not be resumed: {exc}",
            )
            done.append(Resumed(machine, execution.name, None, str(exc)))
            if notify is not None:
                notify("ended", execution)
            continue
        done.append(Resumed(machine, execution.name, point.state))
        if notify is not None:
            notify("resumed" if point.state is not None else "ended", execution)
    return done


def interrupted_state(execution: Any) -> str | None:
    """The top-level state a running execution is in (or about to enter), from its history."""
    worker = execution.exec_worker
    env = getattr(worker, "env", None)
    if env is None:
        return None
    try:
        events = moto_state.history_of(env.event_manager)
        point = resume_point(json.loads(execution.state_machine.definition), events, execution.input_data)
    except (Unresumable, ValueError, KeyError, TypeError):
        return None
    return point.state
