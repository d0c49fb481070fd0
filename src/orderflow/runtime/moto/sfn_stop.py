"""Step Functions gap ``sfn_stop_prompt``: StopExecution leaves an execution RUNNING while a task waits.

On AWS, StopExecution ends a Standard execution at once: its status is ABORTED and its history ends
with ``ExecutionAborted``; a Lambda invocation in flight runs on, but the execution does not wait for
it ("StopExecution", AWS Step Functions API Reference:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html; "Stops an
execution. ... For a Standard workflow, the execution's status changes to ABORTED").

moto 5.2.5's StopExecution only marks the interpreter's program state stopped. The status is written
by the worker once ``Program.eval`` returns, and that waits for the state machine's thread, which sits
in the task's call (a Lambda invocation, an SDK request) until it answers: the execution stays
RUNNING for as long as the call takes (a function held at a gate: until its timeout), then records
what the late answer brought after all.

Here the top-level ``Program.eval`` also wakes when the program is stopped: if the state machine's
thread is still busy, the ``ExecutionAborted`` event is recorded then (as moto records it when the
thread ends), the history is closed (the late answer's events are dropped: nothing follows
``ExecutionAborted``), and the worker sets the status ABORTED. StopExecution answers once that is
done, so a DescribeExecution that follows it sees ABORTED.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.stepfunctions.parser.api import ExecutionAbortedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning, ProgramStopped
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.utils import TMP_THREADS

from .registry import REGISTRY, Patch, Patcher

# StopExecution waits at most this long for the worker to write the status (it takes milliseconds).
STOP_WAIT_S = 10.0
_LOCK = threading.Lock()
_CLOSED = "_orderflow_history_closed"


class _Ends:
    """Per top-level environment: ``wake`` (stopped, or the state machine's thread ended), ``done``
    (the thread ended) and ``finished`` (the worker wrote the final status)."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.done = threading.Event()
        self.finished = threading.Event()


def _ends(env: Any) -> _Ends:
    with _LOCK:
        ends = env.__dict__.get("_orderflow_ends")
        if ends is None:
            ends = env.__dict__["_orderflow_ends"] = _Ends()
        return ends


def _history_lock(manager: Any) -> Any:
    """One lock per event history: the check for ExecutionAborted and the event's recording are one step."""
    with _LOCK:
        lock = manager.__dict__.get("_orderflow_lock")
        if lock is None:
            lock = manager.__dict__["_orderflow_lock"] = threading.RLock()
        return lock


def _abort_now(env: Any) -> None:
    """The ``ExecutionAborted`` event moto's Program records when its thread ends, recorded now."""
    state = env.program_state()
    env.event_history_context.source_event_id = 0
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.ExecutionAborted,
        event_details=EventDetails(  # type: ignore[typeddict-item]
            executionAbortedEventDetails=ExecutionAbortedEventDetails(error=state.error, cause=state.cause)
        ),
    )


def _run_program(original_eval: Any, program: Any, env: Any, ends: _Ends) -> None:
    """moto's ``Program.eval`` on the state machine's own thread. A stop that lands after ``eval``'s
    check and before the program's first step makes moto raise (it cannot set the first state of a
    stopped program): nothing ran, and ``eval`` records the abort (:func:`_abort_now`), so that error is
    not one; any other goes on to the thread's excepthook as before."""
    try:
        original_eval(program, env)
    except RuntimeError:
        if not isinstance(env.program_state(), ProgramStopped):
            raise
    finally:
        ends.done.set()
        ends.wake.set()


def _apply_stop_prompt(patcher: Patcher) -> None:
    original_eval = Program.eval
    original_set_stop = Environment.set_stop
    original_add_event = EventManager.add_event
    original_terminated = BaseExecutionWorkerCommunication.terminated
    original_stop = Execution.stop

    def eval(self: Any, env: Any) -> None:
        if env.is_frame():  # a branch or an iteration: its parent waits for it
            original_eval(self, env)
            return
        ends = _ends(env)
        if not isinstance(env.program_state(), ProgramStopped):  # stopped before it began: nothing runs
            thread = threading.Thread(
                target=_run_program, args=(original_eval, self, env, ends), name="sfn-program", daemon=True
            )
            TMP_THREADS.append(thread)
            thread.start()
            while not ends.done.is_set() and not isinstance(env.program_state(), ProgramStopped):
                ends.wake.wait()
                ends.wake.clear()
        if isinstance(env.program_state(), ProgramStopped):
            # recorded once: when moto's program recorded it already, its history is closed
            _abort_now(env)

    def set_stop(self: Any, stop_date: Any, cause: Any, error: Any) -> None:
        with self._state_mutex:
            if self._program_state is None:  # not begun yet: moto would lose the stop
                self._program_state = ProgramRunning()
        original_set_stop(self, stop_date, cause, error)
        if not self.is_frame():
            _ends(self).wake.set()

    def add_event(self: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        with _history_lock(self):
            if self.__dict__.get(_CLOSED):  # nothing follows ExecutionAborted
                return int(context.last_published_event_id or 0)
            if event_type == HistoryEventType.ExecutionAborted:
                self.__dict__[_CLOSED] = True
            return int(original_add_event(self, context, event_type, *args, **kwargs))

    def terminated(self: Any) -> None:
        try:
            original_terminated(self)
        finally:
            env = getattr(self.execution.exec_worker, "env", None)
            if isinstance(env, Environment):
                _ends(env).finished.set()

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        env = getattr(self.exec_worker, "env", None)
        original_stop(self, stop_date=stop_date, error=error, cause=cause)
        if isinstance(env, Environment) and not env.is_frame():
            _ends(env).finished.wait(STOP_WAIT_S)

    patcher.replace(Program, "eval", eval)
    patcher.replace(Environment, "set_stop", set_stop)
    patcher.replace(EventManager, "add_event", add_event)
    patcher.replace(BaseExecutionWorkerCommunication, "terminated", terminated)
    patcher.replace(Execution, "stop", stop)


SFN_STOP_PROMPT = REGISTRY.register(
    Patch(
        "sfn_stop_prompt",
        "gap",
        "StopExecution on an execution whose task waits on a call (a Lambda invocation) leaves it "
        "RUNNING until the call answers, then records the late answer; on AWS it is ABORTED at once, "
        "its history ends with ExecutionAborted and the invocation runs on without it",
        _apply_stop_prompt,
    )
)
