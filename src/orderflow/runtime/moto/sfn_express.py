"""Step Functions gaps around Express workflows and execution logging.

Three patches, each closing one gap of moto's executing backend (``StepFunctionsParserBackend``):

``sfn_express_executions``: an EXPRESS state machine's executions look like STANDARD ones in moto
(``execution:`` ARNs, describable, listable, names deduplicated). On AWS an Express execution's ARN is
``arn:<partition>:states:<region>:<account>:express:<machine>:<name>:<uuid>``; DescribeExecution and
GetExecutionHistory refuse it (``InvalidArn``: "Resource type not valid in this context: express"),
ListExecutions refuses the state machine (``StateMachineTypeNotSupported``), StopExecution too, and a
name is no idempotency key. (The error codes and messages are those of the Step Functions provider
moto ships beside its backend, ``moto/stepfunctions/parser/provider.py``, which LocalStack validated
against AWS.)

``sfn_sync_execution``: StartSyncExecution answers "Not yet implemented". Here it runs an EXPRESS
execution to its end inside the request and answers with its status, output or error and cause; a
STANDARD state machine is refused with ``StateMachineTypeNotSupported``, as AWS refuses it. It starts
through StartExecution's own path, so ``<arn>#<TestCase>`` (Step Functions Local mock configs) works
the same. Clients must not let botocore prefix the host with ``sync-`` (``inject_host_prefix``) when
they talk to a local endpoint: ``sync-127.0.0.1`` does not resolve.

``sfn_execution_logs``: a state machine's ``loggingConfiguration`` (level ALL/ERROR/FATAL/OFF,
``includeExecutionData``, one CloudWatch Logs log group) is stored but nothing is ever logged (moto
carries LocalStack's logging session, but StartExecution never creates one, and its timestamps would
not serialise). Here every execution, Standard or Express, writes its events to the log group as Step
Functions does: one JSON object per event (``id``, ``type``, ``details``, ``previous_event_id``,
``event_timestamp`` in epoch milliseconds, ``execution_arn``, ``redrive_count``), filtered by level,
input/output left out without ``includeExecutionData``, one log stream per execution
(``states/<machine>/<yyyy-mm-dd-HH-MM>/<execution id>``).

All three change what moto's ``StartExecution`` builds: moto constructs ``Execution(...)`` from its
``parser.models`` module, and each patch wraps that name (the ARN, the class, the logging session),
after construction, so they compose in any order.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.exceptions import ExecutionAlreadyExists, InvalidArn
from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.asl.eval.event.logging import (
    CloudWatchLoggingConfiguration,
    CloudWatchLoggingSession,
)
from moto.stepfunctions.parser.backend.execution import SyncExecution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from .registry import REGISTRY, Patch, Patcher

EXPRESS = "EXPRESS"


class StateMachineTypeNotSupported(AWSError):
    TYPE = "StateMachineTypeNotSupported"
    STATUS = 400


def type_not_supported() -> StateMachineTypeNotSupported:
    return StateMachineTypeNotSupported("This operation is not supported by this type of state machine")


def express_resource_refused() -> InvalidArn:
    return InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")


def machine_type(state_machine: Any) -> str:
    """STANDARD or EXPRESS (moto keeps the requested type in ``type``; its ``sm_type`` is always STANDARD)."""
    return str(getattr(state_machine, "type", None) or "STANDARD")


def is_express_arn(arn: str | None) -> bool:
    parts = (arn or "").split(":")
    return len(parts) > 5 and parts[5] == "express"


def _wrap_execution_factory(patcher: Patcher, after: Any) -> None:
    """parser.models.Execution(...) then ``after(execution)``: every patch here edits the new execution."""
    original = parser_models.Execution

    def factory(*args: Any, **kwargs: Any) -> Any:
        execution = original(*args, **kwargs)
        after(execution)
        return execution

    patcher.replace(parser_models, "Execution", factory)


# ------------------------------------------------------------------------- sfn_express_executions


def express_execution_arn(standard_arn: str) -> str:
    """``...:execution:<machine>:<name>`` -> ``...:express:<machine>:<name>:<uuid>`` (AWS's form)."""
    parts = standard_arn.split(":")
    parts[5] = "express"
    return ":".join(parts) + f":{uuid.uuid4()}"


def _apply_express_executions(patcher: Patcher) -> None:
    original_idempotency = sfn_models.StateMachine._handle_name_input_idempotency
    original_describe = StepFunctionsParserBackend.describe_execution
    original_history = StepFunctionsParserBackend.get_execution_history
    original_list = StepFunctionsParserBackend.list_executions
    original_stop = StepFunctionsParserBackend.stop_execution

    def to_express(execution: Any) -> None:
        if machine_type(execution.state_machine) == EXPRESS and not is_express_arn(execution.exec_arn):
            execution.exec_arn = execution.execution_arn = express_execution_arn(execution.exec_arn)

    def handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        if machine_type(self) == EXPRESS:  # an Express execution name is no idempotency key
            return None
        return original_idempotency(self, name, execution_input)

    def describe_execution(self: Any, execution_arn: str, *args: Any, **kwargs: Any) -> Any:
        if is_express_arn(execution_arn):
            raise express_resource_refused()
        return original_describe(self, execution_arn, *args, **kwargs)

    def get_execution_history(self: Any, execution_arn: str, *args: Any, **kwargs: Any) -> Any:
        if is_express_arn(execution_arn):
            raise express_resource_refused()
        return original_history(self, execution_arn, *args, **kwargs)

    def stop_execution(self: Any, execution_arn: str, *args: Any, **kwargs: Any) -> Any:
        if is_express_arn(execution_arn):
            raise express_resource_refused()
        return original_stop(self, execution_arn, *args, **kwargs)

    def list_executions(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        if machine_type(self.describe_state_machine(state_machine_arn)) == EXPRESS:
            raise type_not_supported()
        return original_list(self, state_machine_arn, *args, **kwargs)

    _wrap_execution_factory(patcher, to_express)
    patcher.replace(sfn_models.StateMachine, "_handle_name_input_idempotency", handle_name_input_idempotency)
    patcher.replace(StepFunctionsParserBackend, "describe_execution", describe_execution)
    patcher.replace(StepFunctionsParserBackend, "get_execution_history", get_execution_history)
    patcher.replace(StepFunctionsParserBackend, "stop_execution", stop_execution)
    patcher.replace(StepFunctionsParserBackend, "list_executions", list_executions)


# ----------------------------------------------------------------------------- sfn_sync_execution

_sync = threading.local()


def _apply_sync_execution(patcher: Patcher) -> None:
    def to_sync(execution: Any) -> None:
        if getattr(_sync, "active", False):
            _sync.active = False  # this request's one execution; its inner work starts nothing sync
            # SyncExecution adds no state of its own: its worker runs the program in the calling thread
            # and it reports SUCCEEDED/FAILED/TIMED_OUT as StartSyncExecution's status.
            execution.__class__ = SyncExecution

    def start_sync_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Any:
        base_arn = (state_machine_arn or "").partition("#")[0]
        if machine_type(self.describe_state_machine(base_arn)) != EXPRESS:
            raise type_not_supported()
        _sync.active = True
        try:
            execution = self.start_execution(state_machine_arn, name, execution_input, trace_header)
        finally:
            _sync.active = False
        if not isinstance(execution, SyncExecution):
            # moto's name idempotency handed back an earlier execution (sfn_express_executions off)
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{execution.execution_arn}'")
        return execution

    def response_start_sync_execution(self: Any) -> ActionResult:
        execution = self.stepfunction_backend.start_sync_execution(
            self._get_param("stateMachineArn"),
            self._get_param("name"),
            self._get_param("input", if_none="{}"),
            self._get_param("traceHeader"),
        )
        output = dict(execution.to_start_sync_execution_output())
        output["billingDetails"] = {
            # Express bills memory in 64 MB steps; nothing measures it here: the smallest step
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": _billed_ms(execution.start_date, execution.stop_date),
        }
        return ActionResult(output)

    _wrap_execution_factory(patcher, to_sync)
    patcher.replace(StepFunctionsParserBackend, "start_sync_execution", start_sync_execution)
    patcher.replace(StepFunctionResponse, "start_sync_execution", response_start_sync_execution)


def _billed_ms(start: dt.datetime, stop: dt.datetime | None) -> int:
    """Express bills per 100 ms, rounded up (and at least 100 ms)."""
    elapsed = ((stop or start) - start).total_seconds() * 1000
    return max(100, int(-(-elapsed // 100) * 100))


# ----------------------------------------------------------------------------- sfn_execution_logs


class LogGroupSession(CloudWatchLoggingSession):
    """moto's logging session, writing events as Step Functions writes them to CloudWatch Logs."""

    def __init__(
        self, execution_arn: str, configuration: CloudWatchLoggingConfiguration, stream: str
    ) -> None:
        super().__init__(execution_arn=execution_arn, configuration=configuration)
        self.stream = stream
        self._lock = threading.Lock()
        self._created = False

    def publish_history_log(self, history_log: Any) -> None:
        stamp = history_log["event_timestamp"]
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if isinstance(stamp, str) else stamp
        millis = int(when.timestamp() * 1000)
        record = {
            "id": history_log["id"],
            "type": getattr(history_log["type"], "value", history_log["type"]),
            "details": history_log.get("details", {}),
            "previous_event_id": history_log["previous_event_id"],
            "event_timestamp": str(millis),
            "execution_arn": self.execution_arn,
            "redrive_count": "0",
        }
        message = json.dumps(record, default=str, separators=(",", ":"))
        backend = logs_backends[self.configuration.log_account_id][self.configuration.log_region]
        group = self.configuration.log_group_name
        with self._lock:
            if not self._created:
                try:
                    backend.create_log_stream(group, self.stream)
                except ResourceAlreadyExistsException:
                    pass
                except Exception:  # the log group is gone: Step Functions drops the event too
                    return
                self._created = True
            backend.put_log_events(group, self.stream, [{"timestamp": millis, "message": message}])


def logging_session(execution: Any) -> LogGroupSession | None:
    """The session for ``execution`` under its state machine's logging configuration (None when OFF)."""
    stored = getattr(execution.state_machine, "loggingConfiguration", None) or {}
    if not stored.get("level") or stored.get("level") == "OFF":
        return None
    configuration: Any = {
        **stored,
        "includeExecutionData": bool(stored.get("includeExecutionData")),
    }
    parsed = CloudWatchLoggingConfiguration.from_logging_configuration(
        state_machine_arn=execution.state_machine.arn, logging_configuration=configuration
    )
    if parsed is None:
        return None
    started = execution.start_date
    stream = f"states/{execution.state_machine.name}/{started:%Y-%m-%d-%H-%M}/{uuid.uuid4().hex[:8]}"
    return LogGroupSession(execution.exec_arn, parsed, stream)


def _apply_execution_logs(patcher: Patcher) -> None:
    def with_logs(execution: Any) -> None:
        if execution._cloud_watch_logging_session is None:
            # the ARN the log records carry is read when the first event is written (after every
            # patch has edited the execution), not now
            session = logging_session(execution)
            if session is not None:
                execution._cloud_watch_logging_session = session
                original_start = execution.start

                def start() -> None:
                    session.execution_arn = execution.exec_arn  # type: ignore[misc]
                    original_start()

                execution.start = start

    _wrap_execution_factory(patcher, with_logs)


SFN_EXPRESS_EXECUTIONS = REGISTRY.register(
    Patch(
        "sfn_express_executions",
        "gap",
        "an EXPRESS state machine's executions get execution: ARNs and can be described, listed and "
        "their history read, names deduplicated; here they get AWS's express:<machine>:<name>:<uuid> "
        "ARN and DescribeExecution/GetExecutionHistory/StopExecution answer InvalidArn, ListExecutions "
        "StateMachineTypeNotSupported, as on AWS",
        _apply_express_executions,
    )
)

SFN_SYNC_EXECUTION = REGISTRY.register(
    Patch(
        "sfn_sync_execution",
        "gap",
        "StartSyncExecution answers 'Not yet implemented'; here it runs an EXPRESS execution to its end "
        "and answers its status and output (mock config test cases included), and refuses a STANDARD "
        "state machine with StateMachineTypeNotSupported, as AWS does",
        _apply_sync_execution,
    )
)

SFN_EXECUTION_LOGS = REGISTRY.register(
    Patch(
        "sfn_execution_logs",
        "gap",
        "a state machine's logging configuration is stored but no execution event ever reaches its "
        "CloudWatch Logs log group; here each execution writes its events there as Step Functions does "
        "(JSON per event, level ALL/ERROR/FATAL, includeExecutionData honoured)",
        _apply_execution_logs,
    )
)
