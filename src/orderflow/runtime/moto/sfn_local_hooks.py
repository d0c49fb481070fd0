"""Step Functions Local features on moto's interpreter: mocked test cases and scaled sleeps.

The file format and its validation live in :mod:`orderflow.runtime.sfn_local` (no moto there); this module
holds what moto must do with a loaded configuration, as two registry patches:

``sfn_mock_config`` (a gap). moto ships the interpreter side of mocking (``Environment.is_mocked_mode``,
``mock_eval_utils``, ``ExecutionWorker(mock_test_case=...)``) but nothing feeds it:
``mocking.mock_config.load_mock_test_case_for`` always returns None, and the StartExecution moto
really serves (``StepFunctionsParserBackend``) neither strips a ``#TestCase`` suffix nor passes a test
case to the worker. Four hooks:

1. ``StepFunctionsParserBackend.start_execution``: split ``<arn>#<test case>``, resolve the test case
   of the configuration set with :func:`set_mock_config`, run the original with the plain ARN.
2. ``ExecutionWorker.__init__``: hand the resolved test case (a thread-local set by 1, consumed once)
   to the worker as ``mock_test_case``, which the interpreter already consults.
3. ``Environment.get_current_mocked_response``: index responses by a per-execution, per-state
   invocation counter (Step Functions Local semantics) instead of moto's ``State.RetryCount``, and
   turn a missing attempt into a ``States.Runtime`` failure.
4. ``ErrorEqualsDecl._eval_body``: that ``States.Runtime`` failure matches no Retrier/Catcher, as AWS
   specifies ("A retry or catch on States.ALL won't catch States.Runtime").

``sfn_time_scale`` (a feature). moto's interpreter really waits: a Retrier sleeps
``IntervalSeconds * BackoffRate**n`` and a ``Wait`` state blocks for its time. Scaled by
:func:`set_time_scale`'s factor (0 skips them), with every attempt and event still in the history:

* ``retrier_decl.time``: the ``time`` module the Retrier calls ``time.sleep`` on is replaced, in that
  module only, by a proxy whose ``sleep`` is scaled;
* ``WaitFunction._wait_interval`` (Seconds, SecondsPath, Timestamp, TimestampPath): a scaled wait on
  the same ``env.program_state_event``, so stopping an execution still interrupts it (moto's version
  rounds to whole seconds and would wait forever for fractional waits).

Timeouts (``TimeoutSeconds``, ``HeartbeatSeconds``) are not scaled.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from moto.stepfunctions.exceptions import InvalidName
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponseReturn,
    MockedResponseThrow,
    StateMockedResponses,
)
from moto.stepfunctions.parser.mocking.mock_config import MockTestCase as MotoMockTestCase
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from .registry import REGISTRY, Patch, Patcher

if TYPE_CHECKING:
    from orderflow.runtime.sfn_local.mock_config import MockConfig, MockTestCase

# ----------------------------------------------------------------------------------- mock config

_config: MockConfig | None = None
_pending = threading.local()


def set_mock_config(config: MockConfig | None) -> None:
    """The configuration ``<arn>#<test case>`` executions read (executions already running keep theirs)."""
    global _config
    _config = config


def mock_config() -> MockConfig | None:
    return _config


class ExecutionTestCase(MotoMockTestCase):
    """moto's MockTestCase plus the invocation counters of one execution (shared by its frames)."""

    def __init__(self, config: MockConfig, test_case: MockTestCase) -> None:
        state_responses = []
        for state_name, response_name in test_case.states.items():
            moto_responses: list[Any] = []
            for attempt_range in config.mocked_responses[response_name].ranges:
                response: Any = attempt_range.response
                if hasattr(response, "payload"):  # a Return
                    moto_responses.append(
                        MockedResponseReturn(attempt_range.start, attempt_range.end, response.payload)
                    )
                else:
                    moto_responses.append(
                        MockedResponseThrow(
                            attempt_range.start, attempt_range.end, response.error, response.cause
                        )
                    )
            state_responses.append(StateMockedResponses(state_name, response_name, moto_responses))
        super().__init__(test_case.state_machine, test_case.name, state_responses)
        self.source = config.source
        self._counter_lock = threading.Lock()
        self._invocations: dict[str, int] = {}

    def next_invocation(self, state_name: str) -> int:
        with self._counter_lock:
            invocation = self._invocations.get(state_name, 0)
            self._invocations[state_name] = invocation + 1
            return invocation


class MissingMockRuntimeError(StatesErrorName):
    """States.Runtime raised for an invocation without a mocked response: never retried or caught."""

    def __init__(self) -> None:
        super().__init__(typ=StatesErrorNameType.StatesRuntime)


def _apply_mock_config(patcher: Patcher) -> None:
    original_start = StepFunctionsParserBackend.start_execution
    original_worker_init = ExecutionWorker.__init__
    original_get_response = Environment.get_current_mocked_response
    original_error_equals = ErrorEqualsDecl._eval_body

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        base_arn, separator, test_case_name = (state_machine_arn or "").partition("#")
        if not separator:
            return original_start(self, state_machine_arn, name, execution_input, trace_header)
        if not test_case_name:
            # Step Functions Local runs "<arn>#" (an empty test case name) unmocked.
            return original_start(self, base_arn, name, execution_input, trace_header)
        state_machine = self.describe_state_machine(base_arn)
        config = _config
        test_case = config.test_case(state_machine.name, test_case_name) if config else None
        if config is None or test_case is None:
            where = f"in {config.source}" if config else "(no mock configuration file is loaded)"
            raise InvalidName(
                f"Invalid mock test case name '{test_case_name}' for state machine "
                f"'{state_machine.name}': no StateMachines.{state_machine.name}.TestCases."
                f"{test_case_name} {where}"
            )
        _pending.test_case = ExecutionTestCase(config, test_case)
        try:
            return original_start(self, base_arn, name, execution_input, trace_header)
        finally:
            _pending.test_case = None

    def worker_init(self: Any, *args: Any, **kwargs: Any) -> None:
        pending = getattr(_pending, "test_case", None)
        if pending is not None and kwargs.get("mock_test_case") is None:
            _pending.test_case = None
            kwargs["mock_test_case"] = pending
        original_worker_init(self, *args, **kwargs)

    def get_current_mocked_response(self: Any) -> Any:
        test_case: Any = self.mock_test_case
        if not isinstance(test_case, ExecutionTestCase):
            return original_get_response(self)
        state_name = self.next_state_name
        state_responses = test_case.state_mocked_responses[state_name]
        invocation = test_case.next_invocation(state_name)
        if invocation < len(state_responses.mocked_responses):
            return state_responses.mocked_responses[invocation]
        defined = len(state_responses.mocked_responses)
        cause = (
            f"No mocked response for invocation {invocation} of state '{state_name}' in test case "
            f"'{test_case.state_machine_name}#{test_case.test_case_name}': MockedResponses."
            f"{state_responses.mocked_response_name} in {test_case.source} defines invocations "
            f"0-{defined - 1}"
        )
        raise FailureEventException(
            failure_event=FailureEvent(
                env=self,
                error_name=MissingMockRuntimeError(),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    taskFailedEventDetails=TaskFailedEventDetails(error="States.Runtime", cause=cause)
                ),
            )
        )

    def error_equals_eval_body(self: Any, env: Any) -> None:
        if env.stack and isinstance(env.stack[-1], MissingMockRuntimeError):
            env.stack.pop()
            env.stack.append(False)
            return
        original_error_equals(self, env)

    patcher.replace(StepFunctionsParserBackend, "start_execution", start_execution)
    patcher.replace(ExecutionWorker, "__init__", worker_init)
    patcher.replace(Environment, "get_current_mocked_response", get_current_mocked_response)
    patcher.replace(ErrorEqualsDecl, "_eval_body", error_equals_eval_body)


# ------------------------------------------------------------------------------------ time scale

_factor: float = 1.0

# Indirections so tests can observe the scaled sleeps without sleeping (see tests/sfn_local).
_sleep = time.sleep
_monotonic = time.monotonic


def _wait_on_event(event: threading.Event, timeout: float) -> None:
    event.wait(timeout)


def set_time_scale(factor: float) -> None:
    global _factor
    _factor = factor


def time_scale() -> float:
    return _factor


def scaled(seconds: float) -> float:
    """``seconds`` of ASL time in wall-clock seconds under the current factor (never negative)."""
    return max(0.0, float(seconds) * _factor)


class _ScaledTimeModule:
    """Stands in for the ``time`` module inside moto's retrier_decl: only ``sleep`` differs."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        wall_seconds = scaled(seconds)
        if wall_seconds > 0:
            _sleep(wall_seconds)


def _scaled_wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
    """WaitFunction._wait_interval under the time scale; returns early when the execution stops."""
    wall_seconds = scaled(wait_seconds)
    if wall_seconds <= 0:
        return
    deadline = _monotonic() + wall_seconds
    while env.is_running():
        remaining = deadline - _monotonic()
        if remaining <= 0:
            return
        _wait_on_event(env.program_state_event, remaining)


def _apply_time_scale(patcher: Patcher) -> None:
    patcher.replace(retrier_decl, "time", _ScaledTimeModule())
    patcher.replace(WaitFunction, "_wait_interval", _scaled_wait_interval)


SFN_MOCK_CONFIG = REGISTRY.register(
    Patch(
        "sfn_mock_config",
        "gap",
        "moto's interpreter can run mocked responses but nothing feeds it: StartExecution on "
        "<arn>#<TestCase> fails; here a Step Functions Local MockConfigFile.json test case runs, with "
        "Step Functions Local's per-invocation counters and an uncatchable States.Runtime for a missing "
        "attempt",
        _apply_mock_config,
    )
)

SFN_TIME_SCALE = REGISTRY.register(
    Patch(
        "sfn_time_scale",
        "feature",
        "Retry back-off and Wait states sleep for real; here both are scaled by a factor (0 skips them)",
        _apply_time_scale,
    )
)
