"""CloudFormation gaps: REST API bodies, resource types moto lacks, a failing resource.

Every resource type a patch adds to moto's CloudFormation is in one registry here: the patch that owns
a type builds its ``apply`` with :func:`add_types`, which switches the types on through that patch's
:class:`~.registry.Patcher` (so they are gone again when the patch is undone or left off), and
``missing_cfn_types`` alone replaces ``parsing.resource_class_from_type`` to look them up (the other
owners declare ``requires=("missing_cfn_types",)``). The added models share :class:`CfnModel`, and
those whose ``Fn::GetAtt`` attribute is their ARN :class:`ArnModel`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import boto3
from moto.apigateway.models import RestAPI, apigateway_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.models import Event, Stack, cloudformation_backends
from moto.cloudformation.parsing import OutputMap
from moto.ses.models import ses_backends
from moto.settings import moto_server_port

from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")

_placeholders: list[tuple[str, str, str]] = []  # (logical id, type, physical id)


# ------------------------------------------------------------------------------------ rest_api_cfn


def _rest_api_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
) -> Any:
    props = cloudformation_json["Properties"]
    body = props.get("Body") or {}
    info = body.get("info") or {}
    backend = apigateway_backends[account_id][region_name]
    api = backend.create_rest_api(
        name=props.get("Name") or info.get("title") or resource_name,
        description=props.get("Description") or info.get("description") or "",
        endpoint_configuration=props.get("EndpointConfiguration"),
    )
    if body.get("paths"):
        openapi_subset = {k: v for k, v in body.items() if k != "swagger"}
        openapi_subset["openapi"] = "3.0.1"
        backend.put_rest_api(api.id, openapi_subset, fail_on_warnings=False)
    return api


def _apply_rest_api(patcher: Patcher) -> None:
    patcher.replace(RestAPI, "create_from_cloudformation_json", classmethod(_rest_api_from_cfn))


# ------------------------------------------------------------------------------- missing_cfn_types


class CfnModel:
    """Just enough of moto's CloudFormationModel interface for the resource types the patches add."""

    cf_resource_type: str
    logical_resource_id: str

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        cls.delete_from_cloudformation_json(
            original_resource.physical_resource_id, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        return None


class ArnModel(CfnModel):
    """A model whose one ``Fn::GetAtt`` attribute (``ARN_ATTRIBUTE``) is its ARN, ``self.arn``."""

    ARN_ATTRIBUTE: ClassVar[str] = "Arn"
    arn: str

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == cls.ARN_ATTRIBUTE

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == self.ARN_ATTRIBUTE:
            return self.arn
        raise UnformattedGetAttTemplateException()


# Every resource type a patch adds to moto's CloudFormation: {type: (the owning patch's name, model)}
ADDED_TYPES: dict[str, tuple[str, Any]] = {}


class _TypesOn:
    """The added types switched on now: one attribute per type (its model), set through the Patcher of
    the patch that owns it, so undoing or leaving off that patch leaves the type out."""


def add_types(patch_name: str, types: dict[str, Any]) -> Callable[[Patcher], None]:
    """Register ``types`` ({resource type: model}) as patch ``patch_name``'s; its ``apply`` (returned)
    switches them on. CloudFormation creates them while ``missing_cfn_types`` is on too (it looks
    them up), so ``patch_name`` requires it unless it is ``missing_cfn_types``."""
    for resource_type, model in types.items():
        if resource_type in ADDED_TYPES:
            raise ValueError(f"{resource_type} is added twice: by {ADDED_TYPES[resource_type][0]}")
        ADDED_TYPES[resource_type] = (patch_name, model)

    def apply(patcher: Patcher) -> None:
        for resource_type, model in types.items():
            patcher.replace(_TypesOn, resource_type, model)

    return apply


def added_type(resource_type: str) -> Any:
    """The model of ``resource_type`` if a patch that is on now adds it, else None."""
    return vars(_TypesOn).get(resource_type)


@dataclass
class ApiGatewayStage(CfnModel):
    rest_api_id: str
    stage_name: str

    @property
    def physical_resource_id(self) -> str:
        return self.stage_name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> ApiGatewayStage:
        props = cloudformation_json["Properties"]
        rest_api_id = props["RestApiId"]
        stage_name = props.get("StageName", resource_name)
        deployment_id = getattr(props.get("DeploymentId"), "id", props.get("DeploymentId"))
        backend = apigateway_backends[account_id][region_name]
        api = backend.get_rest_api(rest_api_id)
        if stage_name not in api.stages:
            backend.create_stage(
                rest_api_id,
                stage_name,
                deployment_id,
                variables=props.get("Variables"),
                description=props.get("Description", ""),
                tracing_enabled=props.get("TracingEnabled"),
            )
        return cls(rest_api_id, stage_name)


@dataclass
class SesEmailIdentity(CfnModel):
    identity: str

    @property
    def physical_resource_id(self) -> str:
        return self.identity

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> SesEmailIdentity:
        identity = cloudformation_json["Properties"]["EmailIdentity"]
        backend = ses_backends[account_id][region_name]
        if "@" in identity:
            backend.verify_email_identity(identity)
        else:
            backend.verify_domain(identity)
        return cls(identity)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        ses_backends[account_id][region_name].delete_identity(resource_name)


@dataclass
class CloudWatchAlarm(ArnModel):
    """The CFN properties of an alarm are PutMetricAlarm's parameters: sent through moto's own API
    (its request parsing builds the metric queries) on the embedded server. ``!GetAtt Alarm.Arn`` answers
    the ARN moto gave it (a dashboard's alarm widget lists alarms by ARN)."""

    alarm_name: str
    arn: str

    @property
    def physical_resource_id(self) -> str:
        return self.alarm_name

    @staticmethod
    def _client(region_name: str) -> Any:
        return boto3.client(
            "cloudwatch",
            endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
            region_name=region_name,
            aws_access_key_id="adapter",
            aws_secret_access_key="adapter",  # noqa: S106 - the embedded AWS takes any key
        )

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> CloudWatchAlarm:
        props = dict(cloudformation_json["Properties"])
        props.setdefault("AlarmName", resource_name)
        client = cls._client(region_name)
        client.put_metric_alarm(**props)
        [alarm] = client.describe_alarms(AlarmNames=[props["AlarmName"]])["MetricAlarms"]
        return cls(props["AlarmName"], alarm["AlarmArn"])

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        cls._client(region_name).delete_alarms(AlarmNames=[resource_name])


# Placeholders the local API serves from the template itself (runtime/http_api_routes.py): no warning.
SERVED_FROM_THE_TEMPLATE = frozenset({"AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage"})


@dataclass
class Placeholder(CfnModel):
    """A resource of a type moto's CloudFormation does not know: listed, not emulated."""

    physical_resource_id: str

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> Placeholder:
        _placeholders.append((kwargs.get("LogicalId", ""), kwargs.get("ResourceType", ""), resource_name))
        served = kwargs.get("ResourceType") in SERVED_FROM_THE_TEMPLATE
        log.log(
            logging.DEBUG if served else logging.WARNING,
            "%s (%s) is not in the embedded AWS: "
            + (
                "the local API serves it from the template"
                if served
                else "moto has no CloudFormation support for it"
            ),
            kwargs.get("LogicalId"),
            kwargs.get("ResourceType"),
        )
        return cls(resource_name)


_add_missing_types = add_types(
    "missing_cfn_types",
    {
        "AWS::ApiGateway::Stage": ApiGatewayStage,
        "AWS::CloudWatch::Alarm": CloudWatchAlarm,
        "AWS::SES::EmailIdentity": SesEmailIdentity,
    },
)


def placeholder_resources() -> list[tuple[str, str, str]]:
    """(logical id, type, physical id) of every resource kept as a placeholder (type unknown to moto)."""
    return list(_placeholders)


def _apply_missing_types(patcher: Patcher) -> None:
    _placeholders.clear()
    _add_missing_types(patcher)
    original_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        model = added_type(resource_type)  # this patch's types and those of the others that are on
        if model is not None:
            return model
        known = resource_type in parsing.NULL_MODELS or resource_type in parsing.get_model_map()
        if known or resource_type.startswith("Custom::"):
            return original_class_from_type(resource_type)
        return Placeholder

    patcher.replace(parsing, "resource_class_from_type", resource_class_from_type)

    original_parse_and_create = parsing.parse_and_create_resource

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, *args: Any, **kwargs: Any
    ) -> Any:
        resource = original_parse_and_create(logical_id, resource_json, resources_map, *args, **kwargs)
        if resource is not None and not hasattr(resource, "physical_resource_id"):
            # e.g. Lambda::Permission, ApiGateway::Deployment: moto gives them no physical id
            resource.physical_resource_id = getattr(resource, "id", None) or parsing.generate_resource_name(
                resource_json.get("Type", ""), resources_map["AWS::StackName"], logical_id
            )
        return resource

    patcher.replace(parsing, "parse_and_create_resource", parse_and_create_resource)


# ----------------------------------------------------------------------------------- stack_failure


class ResourceCreateFailed(Exception):
    def __init__(self, logical_id: str, resource_type: str, cause: BaseException):
        self.reason = _one_line(cause)
        super().__init__(f"resource {logical_id} ({resource_type}) failed: {self.reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"missing property {exc}"
    return " ".join(str(text).split())


def _roll_back(stack: Any, failure: ResourceCreateFailed) -> None:
    """What CloudFormation does when a resource fails to create (rollback on, its default): the
    resource's CREATE_FAILED event with the reason, ROLLBACK_IN_PROGRESS naming it, the resources
    created so far deleted, ROLLBACK_COMPLETE - and no outputs, no resources left to describe
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html)."""
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=failure.logical_id,
            physical_resource_id="",
            resource_type=failure.resource_type,
            resource_status="CREATE_FAILED",
            resource_status_reason=failure.reason,
            resource_properties=None,
        )
    )
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS",
        resource_status_reason=f"The following resource(s) failed to create: [{failure.logical_id}]. "
        "Rollback requested by user.",
    )
    resource_map = stack.resource_map
    created = {
        logical_id: resource_json
        for logical_id, resource_json in resource_map._resource_json_map.items()
        if logical_id in resource_map._parsed_resources
        and resource_map._parsed_resources[logical_id] is not None
        and not isinstance(resource_map._parsed_resources[logical_id], str)
    }
    resource_map._resource_json_map = created
    try:
        resource_map.delete()
    except Exception:  # a resource moto cannot delete stays in its backend; the stack is rolled back
        log.debug("rolling back stack %s left resources behind", stack.name, exc_info=True)
    resource_map._resource_json_map = {}  # nothing left to describe, nothing created again lazily
    stack.output_map = OutputMap(resource_map, {"Outputs": {}}, stack.stack_id)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _apply_stack_failure(patcher: Patcher) -> None:
    original_parse_and_create = parsing.parse_and_create_resource

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return original_parse_and_create(logical_id, resource_json, *args, **kwargs)
        except ResourceCreateFailed:
            raise
        except Exception as exc:
            raise ResourceCreateFailed(logical_id, resource_json.get("Type", "?"), exc) from exc

    patcher.replace(parsing, "parse_and_create_resource", parse_and_create_resource)

    original_create_resources = Stack.create_resources

    def create_resources(self: Any) -> None:
        try:
            original_create_resources(self)
        except ResourceCreateFailed as exc:
            log.debug("stack %s failed", self.name, exc_info=True)
            _roll_back(self, exc)

    patcher.replace(Stack, "create_resources", create_resources)


def localize_api_urls(account_id: str, region_name: str, stack_name: str, api_port: int) -> None:
    """Rewrite this stack's Outputs (as stored in moto) that point at one of its REST APIs'
    execute-api URLs to the local API server (so DescribeStacks shows the local URL)."""
    api_ids = set(apigateway_backends[account_id][region_name].apis)
    pattern = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.[a-z0-9.]+?/")

    def local(match: re.Match[str]) -> str:
        return f"http://127.0.0.1:{api_port}/" if match.group(1) in api_ids else match.group(0)

    for stack in cloudformation_backends[account_id][region_name].stacks.values():
        if stack.name != stack_name:
            continue
        for key in list(stack.output_map):
            output = stack.output_map[key]
            if output is None:
                continue
            # The value as the template gave it, kept on the output: a stack restored from a state
            # dir is localized again for this run's API port.
            original = getattr(output, "orderflow_template_value", None)
            if original is None and isinstance(output.value, str):
                original = output.value
                output.orderflow_template_value = original  # type: ignore[attr-defined]
            if isinstance(original, str):
                output.value = pattern.sub(local, original)


REST_API_CFN = REGISTRY.register(
    Patch(
        "rest_api_cfn",
        "gap",
        "AWS::ApiGateway::RestApi requires Name (CloudFormation takes it from the Body's info.title) and "
        "ignores Body, so SAM's Deployment fails with 'The REST API doesn't contain any methods'; here "
        "the Body's paths are imported with moto's own OpenAPI importer",
        _apply_rest_api,
    )
)

MISSING_CFN_TYPES = REGISTRY.register(
    Patch(
        "missing_cfn_types",
        "gap",
        "no CloudFormation support for AWS::ApiGateway::Stage, AWS::CloudWatch::Alarm and "
        "AWS::SES::EmailIdentity (skipped, missing from DescribeStackResources); here they are created "
        "through moto's own APIs (an alarm with its Arn attribute), any other unknown type is a listed "
        "placeholder, and models without a "
        "physical id (Lambda::Permission, ApiGateway::Deployment) get one",
        _apply_missing_types,
    )
)

STACK_FAILURE = REGISTRY.register(
    Patch(
        "stack_failure",
        "gap",
        "an exception while creating a resource escapes as an HTTP 500 and leaves the stack "
        "CREATE_IN_PROGRESS (with Outputs, DescribeStacks then fails too: 'Unable to parse response'); "
        "here the resource's CREATE_FAILED event carries the reason and the stack rolls back to "
        "ROLLBACK_COMPLETE, as CloudFormation does",
        _apply_stack_failure,
    )
)
