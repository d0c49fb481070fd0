"""Service integrations of moto's ASL interpreter, shaped as Step Functions shapes them. Two patches:

``sfn_integration_shapes``. Step Functions takes a task's parameters in the state machine's casing
(``"StateMachineArn"``, ``"Input"``) and gives back the API's response with PascalCase field names,
a streamed body read into a string, and timestamps as JSON values ("Integrating services with Step
Functions", https://docs.aws.amazon.com/step-functions/latest/dg/integrate-services.html; "Start a new
AWS Step Functions state machine from a running execution", connect-stepfunctions.html, whose
``.sync`` output has ``ExecutionArn``, ``Output``, ``StartDate``; "Using AWS SDK service integrations",
supported-services-awssdk.html). moto 5.2.5 keeps LocalStack's calls to ``_normalise_parameters`` and
``_normalise_response`` but ships both empty: every request to an API whose members are camelCase
(Step Functions, ECS, Batch...) fails in botocore's serializer (``states:startExecution`` with
``KeyError('StateMachineArn')``, ``.sync:2`` with ``KeyError('Input')``), ``.sync`` cannot read the
``ExecutionArn`` it expects, and ``aws-sdk:s3:getObject`` fails on the ``StreamingBody`` (``cannot
pickle '_io.BufferedReader'`` through the server, ``datetime is not JSON serializable`` in-process).

Here the two hooks follow the operation's botocore shapes: request keys are matched to the member
names case-insensitively (recursively through structures and lists); response members get a capital
first letter, a streamed body becomes its text (base64 when it is not UTF-8), bytes become base64
and timestamps become epoch milliseconds for optimized integrations (as the guide's ``.sync``
examples show) and ISO 8601 strings for AWS SDK integrations. Map keys and blob values (a Lambda
``Payload``, DynamoDB attribute names) are left as they are.

``sfn_heartbeat_timeout``. A task whose heartbeat does not come within ``HeartbeatSeconds`` fails
with ``States.HeartbeatTimeout`` ("Handling errors in Step Functions workflows",
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). moto raises its
``HeartbeatTimeoutError`` (a ``TimeoutError``) and reports every ``TimeoutError`` as
``States.Timeout``.

``sfn_sync_without_callback``. ``.sync`` runs the job and waits for it on a service whose integration
has no ``.waitForTaskToken`` (AWS Glue: "Run AWS Glue jobs with Step Functions", connect-glue.html,
documents request-response and ``.sync``). moto's callback code builds a task-token endpoint only for
services that support callbacks and then calls ``interrupt_all()`` on it unconditionally: every
``glue:startJobRun.sync`` fails with ``States.Runtime`` (``'NoneType' object has no attribute
'interrupt_all'``). The patch runs such a ``.sync`` task without the endpoint (moto's own polling).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.response import StreamingBody
from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from .registry import REGISTRY, Patch, Patcher

# -------------------------------------------------------------------------- sfn_integration_shapes


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=512)
def operation_shapes(service: str, action: str) -> tuple[Any, Any] | None:
    """(input shape, output shape) of ``service``'s ``action`` (snake_case or any casing), or None."""
    try:
        model = _session().get_service_model(service)
    except Exception:  # an unknown service: nothing to follow
        return None
    wanted = xform_name(action).lower()
    for name in model.operation_names:
        if xform_name(name).lower() == wanted:
            operation = model.operation_model(name)
            return operation.input_shape, operation.output_shape
    return None


def to_request(value: Any, shape: Any) -> Any:
    """``value`` with the keys of structures renamed to the shape's member names (any casing in)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(key.lower(), key)
            out[name] = to_request(item, shape.members.get(name))
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [to_request(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_request(item, shape.value) for key, item in value.items()}
    return value


def _scalar(value: Any, sdk: bool) -> Any:
    if isinstance(value, StreamingBody):
        value = value.read()
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if sdk:
            return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return int(moment.timestamp() * 1000)
    return value


def to_response(value: Any, shape: Any, sdk: bool) -> Any:
    """The Step Functions form of a boto3 response (see the module docstring); without a shape only
    the values are converted, never a key."""
    if isinstance(value, dict):
        if shape is not None and shape.type_name == "structure":
            out = {}
            for key, item in value.items():
                member = shape.members.get(key)
                name = key[:1].upper() + key[1:]
                if (
                    member is not None
                    and member.type_name == "blob"
                    and not isinstance(item, (StreamingBody, bytes, bytearray))
                ):
                    out[name] = item  # already decoded (a Lambda Payload)
                else:
                    out[name] = to_response(item, member, sdk)
            return out
        inner = shape.value if shape is not None and shape.type_name == "map" else None
        return {key: to_response(item, inner, sdk) for key, item in value.items()}
    if isinstance(value, list):
        member = shape.member if shape is not None and shape.type_name == "list" else None
        return [to_response(item, member, sdk) for item in value]
    return _scalar(value, sdk)


def _shapes_of(
    task: Any, boto_service_name: str | None, service_action_name: str | None
) -> tuple[Any, Any] | None:
    try:
        service = task._get_boto_service_name(boto_service_name)
        action = task._get_boto_service_action(service_action_name)
    except Exception:
        return None
    return operation_shapes(service, action)


def _apply_integration_shapes(patcher: Patcher) -> None:
    original_parameters = StateTaskService._normalise_parameters
    original_response = StateTaskService._normalise_response

    def _normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_parameters(self, parameters, boto_service_name, service_action_name)
        shapes = _shapes_of(self, boto_service_name, service_action_name)
        if shapes is None or not isinstance(parameters, dict):
            return
        renamed = to_request(parameters, shapes[0])
        parameters.clear()
        parameters.update(renamed)

    def _normalise_response(
        self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        original_response(self, response, boto_service_name, service_action_name)
        if not isinstance(response, dict):
            return
        shapes = _shapes_of(self, boto_service_name, service_action_name)
        shaped = to_response(
            response, shapes[1] if shapes else None, isinstance(self, StateTaskServiceAwsSdk)
        )
        response.clear()
        response.update(shaped)

    patcher.replace(StateTaskService, "_normalise_parameters", _normalise_parameters)
    patcher.replace(StateTaskService, "_normalise_response", _normalise_response)


SFN_INTEGRATION_SHAPES = REGISTRY.register(
    Patch(
        name="sfn_integration_shapes",
        kind="gap",
        summary=(
            "service integrations send the state machine's parameter casing to botocore and return boto3's "
            "response as is: states:startExecution(.sync/.sync:2) fail with "
            "KeyError('StateMachineArn'/'Input'), "
            "aws-sdk:s3:getObject fails on its StreamingBody, camelCase responses keep camelCase"
        ),
        apply=_apply_integration_shapes,
    )
)

# --------------------------------------------------------------------------- sfn_heartbeat_timeout


def _apply_heartbeat_timeout(patcher: Patcher) -> None:
    original = StateTask._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, HeartbeatTimeoutError):
            return FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesHeartbeatTimeout),
                event_type=HistoryEventType.TaskTimedOut,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    taskTimedOutEventDetails=TaskTimedOutEventDetails(
                        error=StatesErrorNameType.StatesHeartbeatTimeout.to_name()
                    )
                ),
            )
        return original(self, env, ex)

    patcher.replace(StateTask, "_from_error", _from_error)


SFN_HEARTBEAT_TIMEOUT = REGISTRY.register(
    Patch(
        name="sfn_heartbeat_timeout",
        kind="gap",
        summary=(
            "a task whose heartbeat does not come in time fails with States.Timeout, "
            "not States.HeartbeatTimeout"
        ),
        apply=_apply_heartbeat_timeout,
    )
)

# ---------------------------------------------------------------------- sfn_sync_without_callback


def _apply_sync_without_callback(patcher: Patcher) -> None:
    callback_service = state_task_service_callback.StateTaskServiceCallback
    original = callback_service._eval_integration_pattern
    sync_conditions = (ResourceCondition.Sync, ResourceCondition.Sync2)

    def _eval_integration_pattern(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: Any, state_credentials: Any
    ) -> None:
        condition = self.resource.condition
        if (
            ResourceCondition.WaitForTaskToken in self._supported_integration_patterns
            or condition not in sync_conditions
        ):
            original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            return
        task_output = env.stack.pop()
        self.timeout.eval(env=env)
        timeout_seconds = env.stack.pop()
        env.stack.append(task_output)  # the sync resolver reads the start call's output
        build = (
            self._build_sync_resolver if condition == ResourceCondition.Sync else self._build_sync2_resolver
        )
        resolver = build(
            env=env,
            resource_runtime_part=resource_runtime_part,
            normalised_parameters=normalised_parameters,
            state_credentials=state_credentials,
        )
        outcome = self._eval_sync(
            env=env,
            sync_resolver=resolver,
            timeout_seconds=timeout_seconds,
            callback_endpoint=None,
            heartbeat_endpoint=None,
        )
        # the polled API's response (GetJobRun's JobRun), its timestamps as the optimized integrations'
        env.stack.append(to_response(outcome, None, sdk=False))

    patcher.replace(callback_service, "_eval_integration_pattern", _eval_integration_pattern)


SFN_SYNC_WITHOUT_CALLBACK = REGISTRY.register(
    Patch(
        name="sfn_sync_without_callback",
        kind="gap",
        summary=(
            "a .sync task of a service without .waitForTaskToken (glue:startJobRun.sync) always fails with "
            "States.Runtime ('NoneType' object has no attribute 'interrupt_all')"
        ),
        apply=_apply_sync_without_callback,
    )
)
