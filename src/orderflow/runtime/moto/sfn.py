"""Step Functions gaps: CloudFormation state machines, unnamed executions, finished threads, one
execution per name under concurrent StartExecution; and what the runtime reads of the executions
(running ones, resuming restored ones)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.s3.models import s3_backends
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS
from moto.stepfunctions.responses import get_backend
from moto.utilities.utils import get_partition

from . import sfn_resume, sfn_watch
from .registry import REGISTRY, Patch, Patcher
from .sfn_express import machine_type
from .state import SavedRunning


def substitute(definition: str, substitutions: dict[str, Any] | None, *, require_all: bool = False) -> str:
    """``DefinitionSubstitutions`` as CloudFormation applies them: every ``${Name}`` replaced. With
    ``require_all``, a ``${...}`` left over is a ValueError naming it."""
    for name, value in (substitutions or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    if require_all and "${" in definition:
        start = definition.index("${")
        raise ValueError(f"unsubstituted placeholder {definition[start : start + 40]!r}")
    return definition


def state_machine_definition(properties: dict[str, Any], account_id: str, partition: str) -> str:
    """The definition of a CFN state machine, from any of the three CFN forms, substitutions applied."""
    if "DefinitionString" in properties:
        definition = properties["DefinitionString"]
    elif "Definition" in properties:
        definition = json.dumps(properties["Definition"])
    elif "DefinitionS3Location" in properties:
        location = properties["DefinitionS3Location"]
        key = s3_backends[account_id][partition].get_object(location["Bucket"], location["Key"])
        if key is None:
            raise ValueError(f"DefinitionS3Location s3://{location['Bucket']}/{location['Key']} not found")
        definition = key.value.decode("utf-8")
    else:
        definition = ""
    return substitute(definition, properties.get("DefinitionSubstitutions"))


def definitions(account_id: str, region: str) -> dict[str, str]:
    """The state machines of the executing backend: name -> definition."""
    backend = stepfunctions_parser_backends[account_id][region]
    return {machine.name: machine.definition for machine in backend.state_machines}


def running_executions(account_id: str, region: str) -> list[Any]:
    """Every execution (Standard or Express) of the executing backend that is RUNNING now."""
    backend: Any = stepfunctions_parser_backends[account_id][region]
    return [
        execution
        for machine in list(backend.state_machines)
        for execution in list(machine.executions)
        if execution.exec_status == ExecutionStatus.RUNNING
    ]


def interruption_line(execution: Any, *, kept: bool) -> str:
    """One line on an execution a stop cut short (a live one, or a :class:`SavedRunning`): where it
    was and what becomes of it."""
    if isinstance(execution, SavedRunning):
        machine, name, express = execution.machine, execution.name, execution.express
        try:
            point = sfn_resume.resume_point(
                json.loads(execution.definition), execution.events, execution.execution_input
            )
            where = point.state
        except (sfn_resume.Unresumable, ValueError, KeyError, TypeError):
            where = None
    else:
        machine, name = execution.state_machine.name, execution.name
        express = str(getattr(execution.state_machine, "type", None) or "STANDARD") == "EXPRESS"
        where = sfn_resume.interrupted_state(execution)
    at = f" in {where}" if where else ""
    if not kept:
        fate = "lost (the state is kept in memory only)"
    elif express:
        fate = "not kept (an Express execution)"
    else:
        fate = "resumes at the next start"
    return f"execution interrupted  {machine}  {name}{at}: {fate}"


def resume_restored(
    account_id: str, region: str, notify: Callable[[str, dict[str, Any]], None] | None = None
) -> list[sfn_resume.Resumed]:
    """Resume the executions a state file had RUNNING; ``notify(kind, execution_info)`` each."""

    def tell(kind: str, execution: Any) -> None:
        if notify is not None:
            notify(kind, sfn_watch.execution_info(execution))

    return sfn_resume.resume_restored(account_id, region, tell)


def _lower_keys(value: Any) -> Any:
    """CFN spells StepFunctions API structures in PascalCase; the API model uses camelCase."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _create_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    tags = [{"key": t["Key"], "value": t["Value"]} for t in properties.get("Tags", [])]
    return get_backend(account_id, region_name).create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=state_machine_definition(properties, account_id, get_partition(region_name)),
        roleArn=properties.get("RoleArn", ""),
        tags=tags,
        loggingConfiguration=_lower_keys(properties.get("LoggingConfiguration")),
        tracingConfiguration=_lower_keys(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType", "STANDARD"),
    )


def _delete_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    get_backend(account_id, region_name).delete_state_machine(resource_name)


def _update_from_cfn(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json.get("Properties", {})
    backend = get_backend(account_id, region_name)
    name = properties.get("StateMachineName", original_resource.name)
    if name != original_resource.name:
        new = _create_from_cfn(cls, name, cloudformation_json, account_id, region_name)
        backend.delete_state_machine(original_resource.arn)
        return new
    return backend.update_state_machine(
        original_resource.arn,
        definition=state_machine_definition(properties, account_id, get_partition(region_name)),
        role_arn=properties.get("RoleArn"),
    )


def _apply_cfn_backend(patcher: Patcher) -> None:
    patcher.replace(StateMachine, "create_from_cloudformation_json", classmethod(_create_from_cfn))
    patcher.replace(StateMachine, "delete_from_cloudformation_json", classmethod(_delete_from_cfn))
    patcher.replace(StateMachine, "update_from_cloudformation_json", classmethod(_update_from_cfn))


def _apply_unnamed_execution(patcher: Patcher) -> None:
    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    patcher.replace(StepFunctionsParserBackend, "start_execution", start_execution)


def _apply_finished_threads(patcher: Patcher) -> None:
    original = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, *args: Any, **kwargs: Any) -> Any:
        TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
        return original(self, *args, **kwargs)

    patcher.replace(StepFunctionsParserBackend, "start_execution", start_execution)


EXECUTION_NAME_LOCKS = [threading.Lock() for _ in range(64)]
"""StartExecution's name check and the new execution's registration, one at a time per (state machine,
name), striped over these locks (a module attribute, looked up per call, so that a test can put in
locks that report contention)."""


def _apply_execution_names(patcher: Patcher) -> None:
    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        base_arn = (state_machine_arn or "").partition("#")[0]  # sfn_mock_config's <arn>#<test case>
        try:
            standard = machine_type(self.describe_state_machine(base_arn)) != "EXPRESS"
        except Exception:
            standard = False
        if name is None or not standard:
            # No name: a fresh one (sfn_unnamed_execution). EXPRESS: a name is no idempotency key
            # (sfn_express_executions), and a synchronous execution runs inside this call.
            return original(self, state_machine_arn, name, *args, **kwargs)
        # A STANDARD start returns once the execution is registered and its thread started.
        locks = EXECUTION_NAME_LOCKS
        with locks[hash((base_arn, name)) % len(locks)]:
            return original(self, state_machine_arn, name, *args, **kwargs)

    patcher.replace(StepFunctionsParserBackend, "start_execution", start_execution)


SFN_CFN_BACKEND = REGISTRY.register(
    Patch(
        "sfn_cfn_backend",
        "gap",
        "CloudFormation creates AWS::StepFunctions::StateMachine in the non-executing backend and reads "
        "only DefinitionString (DefinitionS3Location, Definition and DefinitionSubstitutions are "
        "ignored); here CFN state machines live in the backend the API uses, definition loaded from S3 "
        "or inlined, substitutions applied",
        _apply_cfn_backend,
    )
)

SFN_UNNAMED_EXECUTION = REGISTRY.register(
    Patch(
        "sfn_unnamed_execution",
        "gap",
        "StartExecution without a name names the execution 'None' in the executing backend, so the "
        "second unnamed start collides; here it gets a uuid, as on AWS",
        _apply_unnamed_execution,
    )
)

SFN_FINISHED_THREADS = REGISTRY.register(
    Patch(
        "sfn_finished_threads",
        "gap",
        "the ASL interpreter appends every thread it starts to a global list (TMP_THREADS) that nothing "
        "empties, keeping every finished execution's frames alive; here finished threads are dropped "
        "at each StartExecution",
        _apply_finished_threads,
    )
)

SFN_EXECUTION_NAMES = REGISTRY.register(
    Patch(
        "sfn_execution_names",
        "gap",
        "StartExecution checks the name against the state machine's executions, then deep-copies the "
        "state machine, then registers the new execution, with nothing holding a concurrent "
        "StartExecution of the same name back: both pass the check and two executions share one name "
        "and ARN; here the check and the registration run one at a time per name (STANDARD machines), "
        "so the second call gets the first execution (same input, still running) or "
        "ExecutionAlreadyExists, as StartExecution's idempotency promises",
        _apply_execution_names,
    )
)
