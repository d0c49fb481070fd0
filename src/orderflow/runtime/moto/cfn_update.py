"""CloudFormation UpdateStack as CloudFormation applies it: ``cfn_stack_update``.

moto's ``ResourceMap.update`` diffs the *unresolved* template JSON of each resource and calls its
model's ``update_from_cloudformation_json``, which applies only some properties (a state machine's
definition and role, never its type or logging; a function's configuration and code, never its
reserved concurrency; a queue's visibility timeout and wait time, nothing else; an IAM role's
description, never its policies). A resource whose properties change only through a parameter or
through a resource it refers to is not updated at all unless it names the parameter itself, and
nothing is ever replaced. The stack still goes UPDATE_COMPLETE.

Here an update is planned before anything changes, on the *resolved* properties of each resource
(parameters, conditions and the references to other resources applied), in dependency order, and
each changed resource gets the action CloudFormation takes for the properties that changed:

* **replace** when one of them requires replacement ("Update requires: Replacement" in the
  CloudFormation resource reference; read here from cfn-lint's copy of the registry schemas, whose
  ``createOnlyProperties`` are exactly those, plus :data:`REPLACEMENT_EXTRA`). The new resource
  gets a new physical id unless the template names it; the resources that refer to it are then
  updated to the new id. Data-holding types (:data:`KEEPS_DATA`) are not replaced locally: the
  start is refused, naming the resource and the property.
* **update in place** when the (patched) model's update applies every changed property
  (:data:`IN_PLACE`); the result is read back (:func:`readback`) and a property that did not reach
  the resource fails the update.
* **recreate under the same physical id** for types that hold no data (:data:`RECREATE`) whose
  moto update does not apply the change (CloudFormation updates them in place, keeping the id).
* otherwise the update is refused (:class:`UpdateRefused`) before anything changed.

Resources removed from the template (or whose condition became false) are deleted last, as in
CloudFormation's cleanup phase. What was done is kept on the stack (:func:`last_update`), so the
runtime says what changed rather than "updated" for a stack whose resources kept their old values.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation import parsing
from moto.cloudformation.models import Stack, cloudformation_backends
from moto.sqs.models import Queue, sqs_backends
from moto.stepfunctions.responses import get_backend as sfn_backend
from moto.utilities.utils import get_partition

from .registry import REGISTRY, Patch, Patcher
from .sfn import _lower_keys, state_machine_definition

log = logging.getLogger("orderflow.runtime")

# Properties the CloudFormation resource reference marks "Update requires: Replacement" that the
# registry schema cfn-lint ships does not list as createOnlyProperties.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html
# (KeySchema, LocalSecondaryIndexes: "Update requires: Replacement").
REPLACEMENT_EXTRA: dict[str, frozenset[str]] = {
    "AWS::DynamoDB::Table": frozenset({"KeySchema", "LocalSecondaryIndexes"}),
}

# Types whose resources hold data a replacement (or a recreation) would drop: never replaced locally.
KEEPS_DATA = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::Kinesis::Stream",
        "AWS::KMS::Key",
    }
)

# What the model's update applies in place (with the patches of this module), per type.
# AWS::Lambda::Function: every property below is "Update requires: No interruption"
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html).
# AWS::StepFunctions::StateMachine: Definition*, RoleArn, LoggingConfiguration, TracingConfiguration
# are "No interruption"; StateMachineType and StateMachineName "Replacement"
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html).
# AWS::SQS::Queue: every attribute below is "No interruption"; FifoQueue and QueueName "Replacement"
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html).
IN_PLACE: dict[str, frozenset[str]] = {
    "AWS::Lambda::Function": frozenset(
        {
            "Code",
            "Description",
            "Environment",
            "Handler",
            "Layers",
            "MemorySize",
            "ReservedConcurrentExecutions",
            "Role",
            "Runtime",
            "Timeout",
            "VpcConfig",
            # kept by moto, not emulated locally (the workers run x86 or arm code alike, no X-Ray)
            "Architectures",
            "TracingConfig",
            "Tags",
        }
    ),
    "AWS::StepFunctions::StateMachine": frozenset(
        {
            "Definition",
            "DefinitionString",
            "DefinitionS3Location",
            "DefinitionSubstitutions",
            "RoleArn",
            "LoggingConfiguration",
            "TracingConfiguration",
            "Tags",
        }
    ),
    "AWS::SQS::Queue": frozenset(
        {
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "DelaySeconds",
            "FifoThroughputLimit",
            "KmsDataKeyReusePeriodSeconds",
            "KmsMasterKeyId",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "ReceiveMessageWaitTimeSeconds",
            "RedriveAllowPolicy",
            "RedrivePolicy",
            "SqsManagedSseEnabled",
            "VisibilityTimeout",
        }
    ),
    # moto's own update recreates these (delete + create under the same name)
    "AWS::CloudWatch::Dashboard": frozenset({"DashboardBody"}),
    "AWS::Logs::LogGroup": frozenset({"RetentionInDays"}),
}

# Types without data of their own: a change moto cannot apply in place is applied by deleting the
# resource and creating it again under the same physical id (name) - CloudFormation would update it
# in place, keeping that id.
RECREATE = frozenset(
    {
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::SES::EmailIdentity",
    }
)

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


class UpdateRefused(Exception):
    """A change the embedded AWS cannot apply as CloudFormation would; nothing was changed."""

    def __init__(self, logical_id: str, resource_type: str, prop: str, why: str) -> None:
        super().__init__(f"the template changes {prop} of {logical_id} ({resource_type}), which {why}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.prop = prop
        self.why = why


class UpdateNotApplied(Exception):
    """A property change the resource does not show after its update."""


@dataclass
class Change:
    logical_id: str
    resource_type: str
    action: str  # "add" | "update" | "replace" | "recreate" | "remove"
    properties: tuple[str, ...] = ()
    note: str = ""

    def describe(self) -> str:
        what = {"add": "added", "remove": "removed", "update": "updated", "replace": "replaced"}
        text = f"{self.logical_id} {what.get(self.action, 'recreated')}"
        return text + (f" ({', '.join(self.properties)})" if self.properties else "")


@dataclass
class Plan:
    order: list[str]
    old_resolved: dict[str, Any]
    changes: dict[str, Change] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ schemas


@cache
def replacement_properties(resource_type: str) -> frozenset[str]:
    """Top-level properties whose change makes CloudFormation replace a resource of this type."""
    props: set[str] = set(REPLACEMENT_EXTRA.get(resource_type, ()))
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # a type the registry does not know (SAM's, Custom::)
        return frozenset(props)
    for pointer in schema.get("createOnlyProperties") or ():
        parts = str(pointer).split("/")
        if len(parts) >= 3 and parts[1] == "properties":
            props.add(parts[2])
    return frozenset(props)


# ---------------------------------------------------------------------------------- resolving


class _Pending:
    """A resource that does not exist yet (added, or replaced): its id and attributes are unknown."""

    def __init__(self, logical_id: str) -> None:
        self.physical_resource_id = f"<new {logical_id}>"
        self.logical_id = logical_id

    def get_cfn_attribute(self, attribute: str) -> str:
        return f"<new {self.logical_id}.{attribute}>"


class _PlanningMap:
    """The live ResourceMap as the new template sees it, without creating anything: the new
    parameters and conditions, and a placeholder for each resource that will be new."""

    def __init__(self, live: Any, values: dict[str, Any], conditions: Any) -> None:
        self._live = live
        self._values = values
        self.lazy_condition_map = conditions

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        return self._live._parsed_resources[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str) -> bool:
        return key in self._values or key in self._live._parsed_resources

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


def _resolve(resource_json: dict[str, Any], resources_map: Any) -> dict[str, Any]:
    properties = copy.deepcopy(resource_json.get("Properties") or {})
    try:
        return dict(parsing.clean_json(properties, resources_map))
    except Exception as exc:  # an attribute moto cannot answer: compare what can be compared
        log.debug("cannot resolve %s: %s", resource_json.get("Type"), exc)
        return {"<unresolved>": repr(exc), **properties}


def _references(value: Any, names: set[str]) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and item in names:
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".")[0] if isinstance(item, str) else item[0]
                if target in names:
                    found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                for name in names:
                    if "${" + name + "}" in str(text) or "${" + name + "." in str(text):
                        found.add(name)
                found |= _references(item[1] if isinstance(item, list) else None, names)
            else:
                found |= _references(item, names)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, names)
    return found


def dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each after every resource it refers to (Ref, GetAtt, Sub) or DependsOn."""
    names = set(resources)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:  # a cycle CloudFormation would refuse; keep going
            return
        state[name] = 1
        resource = resources[name] if isinstance(resources[name], dict) else {}
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        for dep in sorted(_references(resource.get("Properties"), names) | (set(depends) & names)):
            visit(dep)
        state[name] = 2
        order.append(name)

    for name in resources:
        visit(name)
    return order


def _changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    keys = set(old) | set(new)
    return tuple(sorted(k for k in keys if _canonical(old.get(k)) != _canonical(new.get(k))))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _custom_name(resource_type: str, properties: dict[str, Any]) -> str | None:
    """The physical name the template gives the resource, if any (moto's name property, or the
    type's ``<Type>Name``: moto names a state machine's "StateMachine", CloudFormation "StateMachineName")."""
    candidates = (
        parsing.resource_name_property_from_type(resource_type),
        resource_type.split("::")[-1] + "Name",
    )
    for prop in candidates:
        if prop and properties.get(prop):
            return str(properties[prop])
    return None


# ------------------------------------------------------------------------------------ planning


def plan(resource_map: Any, template: dict[str, Any], parameters: dict[str, Any] | None) -> Plan:
    """What updating ``resource_map`` to ``template`` does to each resource. Changes nothing;
    UpdateRefused for the first change that cannot be applied as CloudFormation would."""
    scratch = parsing.ResourceMap(
        resource_map.stack_id,
        resource_map["AWS::StackName"],
        resource_map.input_parameters if parameters is None else parameters,
        resource_map.tags,
        resource_map._region_name,
        resource_map._account_id,
        template,
        getattr(resource_map, "cross_stack_resources", None),
    )
    scratch.load()
    new_resources = template.get("Resources") or {}
    old_resources = resource_map._resource_json_map
    old_live = {
        name: resource_map._parsed_resources.get(name)
        for name in old_resources
        if resource_map._parsed_resources.get(name) is not None
    }
    old_resolved = {name: _resolve(old_resources[name], resource_map) for name in old_live}

    values = {**(template.get("Mappings") or {}), **scratch.resolved_parameters}
    result = Plan(dependency_order(new_resources), old_resolved)
    for name in result.order:
        resource = new_resources[name]
        rtype = str(resource.get("Type", ""))
        condition = resource.get("Condition")
        if condition and not scratch.lazy_condition_map[condition]:
            values[name] = None
            if name in old_live:
                result.changes[name] = Change(name, rtype, "remove")
            continue
        if name not in old_live:
            values[name] = _Pending(name)
            result.changes[name] = Change(name, rtype, "add")
            continue
        new_props = _resolve(resource, _PlanningMap(resource_map, values, scratch.lazy_condition_map))
        old_type = str(old_resources[name].get("Type", ""))
        props = ("Type",) if old_type != rtype else _changed(old_resolved[name], new_props)
        if not props:
            continue
        change = classify(name, rtype, props, new_props, old_resolved[name])
        result.changes[name] = change
        if change.action == "replace" and _custom_name(rtype, new_props) is None:
            values[name] = _Pending(name)  # its refs and attributes change: its dependents follow
    for name in old_live:
        if name not in new_resources:
            rtype = str(old_resources[name].get("Type", ""))
            result.changes[name] = Change(name, rtype, "remove")
    return result


def classify(
    name: str, rtype: str, props: tuple[str, ...], new_props: dict[str, Any], old_props: dict[str, Any]
) -> Change:
    """The action CloudFormation takes for these changed properties, as the embedded AWS can take it."""
    if props == ("Type",):
        if rtype in KEEPS_DATA:
            raise UpdateRefused(name, rtype, "Type", "CloudFormation applies by replacing the resource")
        return Change(name, rtype, "replace", props)
    replacing = sorted(set(props) & replacement_properties(rtype))
    if replacing:
        if rtype in KEEPS_DATA:
            raise UpdateRefused(
                name,
                rtype,
                replacing[0],
                "CloudFormation applies by replacing the resource with a new, empty one",
            )
        note = ""
        custom = _custom_name(rtype, new_props)
        if custom is not None and custom == _custom_name(rtype, old_props):
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
            note = (
                f"CloudFormation refuses to replace a resource whose name the template sets ({custom}): "
                "rename it to deploy this change to AWS"
            )
        return Change(name, rtype, "replace", props, note)
    in_place = IN_PLACE.get(rtype)
    if in_place is not None and set(props) <= in_place:
        return Change(name, rtype, "update", props)
    if rtype in RECREATE or (rtype not in KEEPS_DATA and _is_placeholder(rtype)):
        return Change(name, rtype, "recreate", props)
    missing = sorted(set(props) - (in_place or frozenset()))
    raise UpdateRefused(name, rtype, missing[0], "the embedded AWS (moto) cannot update in place")


def _is_placeholder(rtype: str) -> bool:
    from .cloudformation import ADDED_TYPES, Placeholder

    return rtype not in ADDED_TYPES and parsing.resource_class_from_type(rtype) is Placeholder


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
        new_props = _resolve(resource_json, self)
        old_props = the_plan.old_resolved[name]
        props = planned.properties if planned.properties == ("Type",) else _changed(old_props, new_props)
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
            custom = _custom_name(change.resource_type, new_props)
            if custom is not None and custom == _custom_name(change.resource_type, old_props):
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
        if _canonical(shown[prop]) != _canonical(want):
            raise UpdateNotApplied(
                f"{name}: {prop} is {_canonical(shown[prop])} after the update, not {_canonical(want)}"
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


def plan_stack_update(
    account_id: str, region_name: str, stack_name: str, template: dict[str, Any], parameters: dict[str, Any]
) -> list[Change]:
    """The changes UpdateStack would make to ``stack_name`` (nothing is changed); UpdateRefused
    for one it cannot make."""
    stacks = cloudformation_backends[account_id][region_name].stacks.values()
    stack = next((s for s in stacks if s.name == stack_name and not s.status.startswith("DELETE")), None)
    if stack is None:
        return []
    return list(plan(stack.resource_map, template, parameters).changes.values())


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
