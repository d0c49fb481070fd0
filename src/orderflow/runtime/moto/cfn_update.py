"""CloudFormation UpdateStack as CloudFormation applies it: ``cfn_stack_update``.

moto's ``ResourceMap.update`` diffs the *unresolved* template JSON of each resource and calls its
model's ``update_from_cloudformation_json``, which applies only some properties (a state machine's
definition and role, never its type or logging; a function's configuration and code, never its
reserved concurrency; a queue's visibility timeout and wait time, nothing else; an IAM role's
description, never its policies). A resource whose properties change only through a parameter or
through a resource it refers to is not updated at all unless it names the parameter itself, and
nothing is ever replaced. The stack still goes UPDATE_COMPLETE.

Here an update is planned (:mod:`.cfn_plan`) before anything changes, on the *resolved* properties
of each resource (parameters, conditions and the references to other resources applied), in
dependency order, and each changed resource gets the action CloudFormation takes for the properties
that changed:

* **replace** when one of them requires replacement ("Update requires: Replacement" in the
  CloudFormation resource reference; read here from cfn-lint's copy of the registry schemas, whose
  ``createOnlyProperties`` are exactly those, plus :data:`.cfn_plan.REPLACEMENT_EXTRA`). The new resource
  gets a new physical id unless the template names it; the resources that refer to it are then
  updated to the new id. Data-holding types (:data:`.cfn_plan.KEEPS_DATA`) are not replaced locally: the
  start is refused, naming the resource and the property.
* **update in place** when the (patched) model's update applies every changed property
  (:data:`.cfn_plan.IN_PLACE`); the result is read back (:func:`readback`) and a property that did not reach
  the resource fails the update.
* **recreate under the same physical id** for types that hold no data (:data:`.cfn_plan.RECREATE`) whose
  moto update does not apply the change (CloudFormation updates them in place, keeping the id).
* otherwise the update is refused (:class:`.cfn_plan.UpdateRefused`) before anything changed.

Resources removed from the template (or whose condition became false) are deleted last, as in
CloudFormation's cleanup phase. What was done is kept on the stack (:func:`last_update`), so the
runtime says what changed rather than "updated" for a stack whose resources kept their old values.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation import parsing
from moto.cloudformation.models import Stack, cloudformation_backends
from moto.sqs.models import Queue, sqs_backends
from moto.stepfunctions.responses import get_backend as sfn_backend
from moto.utilities.utils import get_partition

from .cfn_plan import (
    IN_PLACE,
    Change,
    UpdateRefused,
    canonical,
    changed,
    classify,
    custom_name,
    plan,
    plan_stack_update,
    resolve,
)
from .registry import REGISTRY, Patch, Patcher
from .sfn import _lower_keys, state_machine_definition

__all__ = [
    "CFN_STACK_UPDATE",
    "Change",
    "UpdateNotApplied",
    "UpdateRefused",
    "last_update",
    "plan_stack_update",
]

log = logging.getLogger("orderflow.runtime")

# A property left out of the template goes back to the service's default, as on AWS.
LAMBDA_DEFAULTS: dict[str, Any] = {
    "Description": "",
    "Environment": {"Variables": {}},
    "Layers": [],
    "MemorySize": 128,
    "Timeout": 3,
    "ReservedConcurrentExecutions": None,
}
QUEUE_DEFAULTS: dict[str, Any] = {
    "DelaySeconds": 0,
    "MaximumMessageSize": 262144,
    "MessageRetentionPeriod": 345600,
    "ReceiveMessageWaitTimeSeconds": 0,
    "VisibilityTimeout": 30,
}


class UpdateNotApplied(Exception):
    """A property change the resource does not show after its update."""


# ------------------------------------------------------------------------------------ applying


def _update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """ResourceMap.update, as CloudFormation updates a stack (see the module's docstring)."""
    the_plan = plan(self, template, parameters)
    old_json = dict(self._resource_json_map)
    self._template = template
    if parameters is not None:  # a parameter UpdateStack does not pass takes its default, as on AWS
        self.input_parameters = parameters
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    self._resource_json_map = template["Resources"]

    applied: list[Change] = []
    cleanup: list[tuple[Any, dict[str, Any]]] = []
    for name in the_plan.order:
        planned = the_plan.changes.get(name)
        if planned is None or planned.action == "remove":
            continue
        if planned.action == "add":
            _ = self[name]
            applied.append(planned)
            continue
        resource_json = self._resource_json_map[name]
        new_props = resolve(resource_json, self)
        old_props = the_plan.old_resolved[name]
        props = planned.properties if planned.properties == ("Type",) else changed(old_props, new_props)
        if not props:  # it referred to a replaced resource whose id did not change
            continue
        change = classify(name, planned.resource_type, props, new_props, old_props)
        old_model = self._parsed_resources[name]
        if change.action == "update":
            model = parsing.parse_and_update_resource(
                name, copy.deepcopy(resource_json), self, self._account_id, self._region_name
            )
            if model is None:
                raise UpdateNotApplied(f"{name}: moto has no update for {change.resource_type}")
            self._parsed_resources[name] = model
        elif change.action == "recreate":
            physical = old_model.physical_resource_id
            self._delete_resource(old_model, old_json[name])
            cls, cleaned, _ = parsing.parse_resource(copy.deepcopy(resource_json), self)
            model = cls.create_from_cloudformation_json(
                physical,
                cleaned,
                self._account_id,
                self._region_name,
                LogicalId=name,
                StackId=self.stack_id,
                ResourceType=change.resource_type,
            )
            model.cf_resource_type = change.resource_type
            model.logical_resource_id = name
            if not hasattr(model, "physical_resource_id"):
                model.physical_resource_id = physical
            self._parsed_resources[name] = model
        else:  # replace
            del self._parsed_resources[name]
            custom = custom_name(change.resource_type, new_props)
            if custom is not None and custom == custom_name(change.resource_type, old_props):
                self._delete_resource(old_model, old_json[name])  # the name is taken until then
            else:
                cleanup.append((old_model, old_json[name]))
            model = self[name]
            if change.note:
                log.warning("%s replaced (%s): %s", name, ", ".join(change.properties), change.note)
        _verify(name, change, model, new_props)
        applied.append(change)

    for name, planned in the_plan.changes.items():
        if planned.action == "remove":
            model = self._parsed_resources.pop(name, None)
            if model is not None:
                self._delete_resource(model, old_json[name])
            applied.append(planned)
    for model, resource_json in cleanup:
        self._delete_resource(model, resource_json)
    self.orderflow_last_update = applied


def _verify(name: str, change: Change, model: Any, new_props: dict[str, Any]) -> None:
    """Each changed property the resource can be read back for shows its new value."""
    shown = readback(change.resource_type, model)
    for prop in change.properties:
        if prop not in shown:
            continue
        want = _expected(change.resource_type, prop, new_props, model)
        if canonical(shown[prop]) != canonical(want):
            raise UpdateNotApplied(
                f"{name}: {prop} is {canonical(shown[prop])} after the update, not {canonical(want)}"
            )


def _expected(rtype: str, prop: str, props: dict[str, Any], model: Any) -> Any:
    value = props.get(prop)
    if rtype == "AWS::Lambda::Function":
        if value is None:
            value = LAMBDA_DEFAULTS.get(prop)
        if prop == "Environment":
            return {k: str(v) for k, v in ((value or {}).get("Variables") or {}).items()}
        if prop == "Layers":
            return [str(arn) for arn in value or []]
        if prop == "Code":
            code = value or {}
            return {k: code[k] for k in ("S3Bucket", "S3Key") if k in code}
        return None if value is None else str(value)
    if rtype == "AWS::StepFunctions::StateMachine":
        if prop == "StateMachineType":
            return value or "STANDARD"
        if prop == "LoggingConfiguration":
            return _lower_keys(value) if value else None
        return value
    if rtype == "AWS::SQS::Queue":
        if value is None:
            value = QUEUE_DEFAULTS.get(prop)
        return _sqs_value(value)
    return value


def readback(rtype: str, model: Any) -> dict[str, Any]:
    """What a resource shows of the properties the update verifies, as :func:`_expected` spells them."""
    if rtype == "AWS::Lambda::Function":
        reserved = model.reserved_concurrency
        return {
            "Handler": str(model.handler),
            "MemorySize": str(model.memory_size),
            "Timeout": str(model.timeout),
            "Runtime": str(model.run_time),
            "Role": str(model.role),
            "Environment": {k: str(v) for k, v in (model.environment_vars or {}).items()},
            "Layers": [str(layer["Arn"]) for layer in model.layers or []],
            "ReservedConcurrentExecutions": None if reserved in (None, "") else str(reserved),
            "Code": {k: model.code[k] for k in ("S3Bucket", "S3Key") if k in model.code},
        }
    if rtype == "AWS::StepFunctions::StateMachine":
        return {
            "StateMachineType": str(getattr(model, "type", None) or "STANDARD"),
            "RoleArn": model.roleArn,
            "LoggingConfiguration": getattr(model, "loggingConfiguration", None) or None,
        }
    if rtype == "AWS::SQS::Queue":
        attributes = model.attributes
        return {name: _sqs_value(attributes[name]) for name in QUEUE_DEFAULTS if name in attributes}
    return {}


# ------------------------------------------------------------------ the models' in-place updates


def _lambda_update(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """moto applies the configuration and code; here also ReservedConcurrentExecutions, and a
    property left out goes back to Lambda's default."""
    props = {**LAMBDA_DEFAULTS, **cloudformation_json["Properties"]}
    configuration = {k: v for k, v in props.items() if k != "ReservedConcurrentExecutions"}
    if "Layers" in configuration:
        configuration["Layers"] = [str(arn) for arn in configuration["Layers"]]
    original_resource.update_configuration(configuration)
    original_resource.update_function_code(props["Code"])
    backend = lambda_backends[account_id][region_name]
    reserved = props.get("ReservedConcurrentExecutions")
    if reserved is None:
        backend.delete_function_concurrency(original_resource.function_name)
    else:
        backend.put_function_concurrency(original_resource.function_name, str(reserved))
    return original_resource


def _state_machine_update(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """Definition, role, logging and tracing applied in place (UpdateStateMachine); a logging or
    tracing configuration left out goes back to none."""
    properties = cloudformation_json.get("Properties", {})
    machine = sfn_backend(account_id, region_name).update_state_machine(
        original_resource.arn,
        definition=state_machine_definition(properties, account_id, get_partition(region_name)),
        role_arn=properties.get("RoleArn"),
    )
    machine.loggingConfiguration = _lower_keys(properties.get("LoggingConfiguration")) or None  # type: ignore[assignment]
    machine.tracingConfiguration = _lower_keys(properties.get("TracingConfiguration")) or None  # type: ignore[assignment]
    return machine


def _sqs_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _queue_update(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """Every queue attribute of the template applied (SetQueueAttributes); one left out goes back
    to SQS's default."""
    properties = {**QUEUE_DEFAULTS, **cloudformation_json["Properties"]}
    attributes = {
        name: _sqs_value(value)
        for name, value in properties.items()
        if name in IN_PLACE["AWS::SQS::Queue"] and value is not None
    }
    return sqs_backends[account_id][region_name].set_queue_attributes(original_resource.name, attributes)


def last_update(account_id: str, region_name: str, stack_name: str) -> list[Change] | None:
    """What the last UpdateStack of ``stack_name`` did, resource by resource (None: no update ran)."""
    for stack in cloudformation_backends[account_id][region_name].stacks.values():
        if stack.name == stack_name and not stack.status.startswith("DELETE"):
            return getattr(stack.resource_map, "orderflow_last_update", None)
    return None


def _apply(patcher: Patcher) -> None:
    patcher.replace(parsing.ResourceMap, "update", _update)
    original_stack_update = Stack.update

    def stack_update(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original_stack_update(self, *args, **kwargs)
            if kwargs.get("parameters") is not None:  # moto keeps the old ones when none are passed
                self.parameters = kwargs["parameters"]
        except (UpdateRefused, UpdateNotApplied) as exc:  # the runtime refuses the start: state untouched
            log.debug("stack %s update failed", self.name, exc_info=True)
            self.status = "UPDATE_FAILED"
            self._add_stack_event("UPDATE_FAILED", resource_status_reason=str(exc))

    patcher.replace(Stack, "update", stack_update)
    patcher.replace(LambdaFunction, "update_from_cloudformation_json", classmethod(_lambda_update))
    patcher.replace(Queue, "update_from_cloudformation_json", classmethod(_queue_update))
    from moto.stepfunctions.models import StateMachine

    patcher.replace(StateMachine, "update_from_cloudformation_json", classmethod(_state_machine_update))


CFN_STACK_UPDATE = REGISTRY.register(
    Patch(
        "cfn_stack_update",
        "gap",
        "UpdateStack diffs the unresolved template, so a resource changed through a parameter or a "
        "replaced resource it refers to is not updated; nothing is ever replaced (a state machine's "
        "StateMachineType stays); the models' updates drop properties (a state machine's logging, a "
        "function's reserved concurrency, a queue's attributes but two, a role's policies) and the "
        "stack still goes UPDATE_COMPLETE; here each change is planned on the resolved properties "
        "and applied in place, by replacement or by recreation as CloudFormation would, checked, or "
        "refused before anything changes",
        _apply,
    )
)
