"""The planning half of ``cfn_stack_update`` (see cfn_update.py, which applies the plan): what an
UpdateStack does to each resource, decided before anything changes, on the *resolved* properties of
each resource (parameters, conditions and the references to other resources applied), in dependency
order. A changed resource is replaced when a changed property requires replacement (cfn-lint's copy of
the registry schemas' ``createOnlyProperties``, plus :data:`REPLACEMENT_EXTRA`), updated in place when
the (patched) model's update applies every changed property (:data:`IN_PLACE`), recreated under the
same physical id for types that hold no data (:data:`RECREATE`), and otherwise refused
(:class:`UpdateRefused`); data-holding types (:data:`KEEPS_DATA`) are never replaced locally.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import cloudformation_backends

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


class UpdateRefused(Exception):
    """A change the embedded AWS cannot apply as CloudFormation would; nothing was changed."""

    def __init__(self, logical_id: str, resource_type: str, prop: str, why: str) -> None:
        super().__init__(f"the template changes {prop} of {logical_id} ({resource_type}), which {why}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.prop = prop
        self.why = why


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


def resolve(resource_json: dict[str, Any], resources_map: Any) -> dict[str, Any]:
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


def changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    keys = set(old) | set(new)
    return tuple(sorted(k for k in keys if canonical(old.get(k)) != canonical(new.get(k))))


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def custom_name(resource_type: str, properties: dict[str, Any]) -> str | None:
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
    old_resolved = {name: resolve(old_resources[name], resource_map) for name in old_live}

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
        new_props = resolve(resource, _PlanningMap(resource_map, values, scratch.lazy_condition_map))
        old_type = str(old_resources[name].get("Type", ""))
        props = ("Type",) if old_type != rtype else changed(old_resolved[name], new_props)
        if not props:
            continue
        change = classify(name, rtype, props, new_props, old_resolved[name])
        result.changes[name] = change
        if change.action == "replace" and custom_name(rtype, new_props) is None:
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
        custom = custom_name(rtype, new_props)
        if custom is not None and custom == custom_name(rtype, old_props):
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
    from .cloudformation import Placeholder

    return parsing.resource_class_from_type(rtype) is Placeholder


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
