"""CloudFormation return values: every ``Fn::GetAtt`` attribute and ``Ref`` value the CloudFormation
resource reference documents for the resource types SAM apps use, where moto answers otherwise.

What AWS documents is the table ``orderflow/runtime/cfn_attributes.json`` (generated from AWS's
resource schemas and the resource reference pages, see :mod:`orderflow.runtime.cfn_reference`);
``tests/runtime/test_cfn_return_values.py`` deploys every row through the runtime. Here are only
the answers moto lacks or gets wrong (found by that test), each with the docs page it follows:

- ``cfn_attributes``: attributes moto refuses ("does not support attribute type") or answers with
  nothing, and ``Ref`` values that are not what the reference says (a Lambda version or layer
  version is its ARN, not a generated name).
- ``cfn_more_types``: ``AWS::SNS::Subscription``, ``AWS::Lambda::Alias`` and ``AWS::Glue::Job``,
  which moto's CloudFormation does not create (the subscription never delivers), created through
  moto's own SNS, Lambda and Glue backends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.apigateway.models import Deployment, Resource, RestAPI
from moto.awslambda.models import LambdaFunction, LambdaVersion, LayerVersion, lambda_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.events.models import EventBus, Rule
from moto.glue.models import glue_backends
from moto.iam.models import InlinePolicy
from moto.kms.models import Key
from moto.logs.models import LogGroup
from moto.sns.models import Topic, sns_backends
from moto.sqs.models import Queue
from moto.stepfunctions.models import StateMachine

from .cloudformation import ArnModel, CfnModel, add_types
from .registry import REGISTRY, Patch, Patcher


def _revision_id(machine: Any) -> str:
    # "The revision identifier of the state machine" (aws-resource-stepfunctions-statemachine.html):
    # moto keeps no revisions; one stable id per definition and role, as a revision is a snapshot.
    snapshot = json.dumps([machine.arn, machine.definition, machine.roleArn], sort_keys=True)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, snapshot))


def _log_group_arn(group: Any) -> str:
    # "arn:aws:logs:us-west-1:123456789012:log-group:/mystack-testgroup-12ABC1AB12A1:*"
    # (aws-resource-logs-loggroup.html, Return values)
    arn = str(group.arn)
    return arn if arn.endswith(":*") else f"{arn}:*"


# Attributes added or corrected per moto model: {class: {attribute: getter}} (docs page in the comment)
ATTRIBUTES: dict[Any, dict[str, Callable[[Any], Any]]] = {
    # aws-resource-stepfunctions-statemachine.html
    StateMachine: {
        "Arn": lambda machine: machine.arn,
        "Name": lambda machine: machine.name,
        "StateMachineRevisionId": _revision_id,
    },
    # aws-resource-lambda-function.html: SnapStart is not emulated, so it is never applied
    LambdaFunction: {
        "SnapStartResponse.ApplyOn": lambda function: "None",
        "SnapStartResponse.OptimizationStatus": lambda function: "Off",
    },
    # aws-resource-lambda-version.html
    LambdaVersion: {
        "FunctionArn": lambda version: version.orderflow_arn,
        "Version": lambda version: str(version.version),
    },
    # aws-resource-lambda-layerversion.html
    LayerVersion: {"LayerVersionArn": lambda layer: layer.arn},
    # aws-resource-sns-topic.html
    Topic: {"TopicArn": lambda topic: topic.arn, "TopicName": lambda topic: topic.name},
    # aws-resource-sqs-queue.html
    Queue: {"QueueUrl": lambda queue: queue.physical_resource_id},
    # aws-resource-apigateway-restapi.html, -resource.html, -deployment.html
    RestAPI: {"RestApiId": lambda api: api.id},
    Resource: {"ResourceId": lambda resource: resource.id},
    Deployment: {"DeploymentId": lambda deployment: deployment.id},
    # aws-resource-events-rule.html
    Rule: {"RuleName": lambda rule: rule.name},
    # aws-resource-iam-policy.html
    InlinePolicy: {"Id": lambda policy: policy.physical_resource_id},
    # aws-resource-kms-key.html
    Key: {"KeyId": lambda key: key.id},
    # aws-resource-logs-loggroup.html
    LogGroup: {"Arn": _log_group_arn},
}

# Ref values moto gets wrong: {class: getter of the physical id}
REFS: dict[Any, Callable[[Any], str]] = {
    LambdaVersion: lambda version: version.orderflow_arn,  # aws-resource-lambda-version.html
    LayerVersion: lambda layer: layer.arn,  # aws-resource-lambda-layerversion.html
    EventBus: lambda bus: bus.name,  # aws-resource-events-eventbus.html
}


def _version_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
) -> Any:
    function_name = cloudformation_json["Properties"]["FunctionName"]
    published: Any = lambda_backends[account_id][region_name].publish_version(
        function_name, description=cloudformation_json["Properties"].get("Description", "")
    )
    if published is None:  # moto answers None for a function it does not have
        raise ValueError(f"Function not found: {function_name}")
    version: Any = cls({"Version": published.version})
    version.orderflow_arn = published.function_arn
    return version


def _apply_attributes(patcher: Patcher) -> None:
    for cls, getters in ATTRIBUTES.items():
        original_has = cls.has_cfn_attr
        original_get = cls.__dict__.get("get_cfn_attribute") or getattr(cls, "get_cfn_attribute", None)

        def has_cfn_attr(
            klass: Any, attr: str, _getters: dict[str, Any] = getters, _has: Any = original_has
        ) -> bool:
            return attr in _getters or bool(_has(attr))

        def get_cfn_attribute(
            self: Any, attribute_name: str, _getters: dict[str, Any] = getters, _get: Any = original_get
        ) -> Any:
            if attribute_name in _getters:
                return _getters[attribute_name](self)
            if _get is None:
                raise UnformattedGetAttTemplateException()
            return _get(self, attribute_name)

        patcher.replace(cls, "has_cfn_attr", classmethod(has_cfn_attr))
        patcher.replace(cls, "get_cfn_attribute", get_cfn_attribute)
    for cls, getter in REFS.items():
        patcher.replace(cls, "physical_resource_id", property(getter))
    patcher.replace(LambdaVersion, "create_from_cloudformation_json", classmethod(_version_from_cfn))


# ------------------------------------------------------------------ subscription and alias


@dataclass
class SnsSubscription(ArnModel):
    """``AWS::SNS::Subscription``: SNS's Subscribe (with its attributes). Ref and ``Arn`` are the
    subscription's ARN (aws-resource-sns-subscription.html)."""

    arn: str

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    _ATTRIBUTES = (
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
    )

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> SnsSubscription:
        props = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(props["TopicArn"], props["Endpoint"], props["Protocol"])
        for name in cls._ATTRIBUTES:
            if name in props:
                value = props[name]
                if isinstance(value, bool):
                    value = str(value).lower()
                elif not isinstance(value, str):
                    value = json.dumps(value)
                backend.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        sns_backends[account_id][region_name].unsubscribe(resource_name)


@dataclass
class LambdaAlias(ArnModel):
    """``AWS::Lambda::Alias``: Lambda's CreateAlias. Ref and ``AliasArn`` are the alias's ARN
    (aws-resource-lambda-alias.html)."""

    ARN_ATTRIBUTE = "AliasArn"
    arn: str
    function_name: str
    name: str

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> LambdaAlias:
        props = cloudformation_json["Properties"]
        alias = lambda_backends[account_id][region_name].create_alias(
            name=props["Name"],
            function_name=props["FunctionName"],
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=props.get("RoutingConfig"),
        )
        return cls(alias.arn, props["FunctionName"], props["Name"])

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        props = cloudformation_json["Properties"]
        lambda_backends[account_id][region_name].delete_alias(props["Name"], props["FunctionName"])


@dataclass
class GlueJob(CfnModel):
    """``AWS::Glue::Job``: Glue's CreateJob. Ref is the job's name (aws-resource-glue-job.html)."""

    name: str

    @property
    def physical_resource_id(self) -> str:
        return self.name

    _PROPERTIES = {  # CreateJob parameter -> CFN property
        "description": "Description",
        "log_uri": "LogUri",
        "execution_property": "ExecutionProperty",
        "default_arguments": "DefaultArguments",
        "non_overridable_arguments": "NonOverridableArguments",
        "connections": "Connections",
        "max_retries": "MaxRetries",
        "allocated_capacity": "AllocatedCapacity",
        "timeout": "Timeout",
        "max_capacity": "MaxCapacity",
        "security_configuration": "SecurityConfiguration",
        "tags": "Tags",
        "notification_property": "NotificationProperty",
        "glue_version": "GlueVersion",
        "number_of_workers": "NumberOfWorkers",
        "worker_type": "WorkerType",
        "code_gen_configuration_nodes": "CodeGenConfigurationNodes",
        "execution_class": "ExecutionClass",
        "source_control_details": "SourceControlDetails",
    }

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> GlueJob:
        props = cloudformation_json["Properties"]
        name = props.get("Name") or resource_name
        arguments = {param: props.get(prop) for param, prop in cls._PROPERTIES.items()}
        glue_backends[account_id][region_name].create_job(
            name=name, role=props["Role"], command=props["Command"], **arguments
        )
        return cls(name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        glue_backends[account_id][region_name].delete_job(resource_name)


CFN_ATTRIBUTES = REGISTRY.register(
    Patch(
        "cfn_attributes",
        "gap",
        "Fn::GetAtt StateMachine.Arn, Topic.TopicArn, Queue.QueueUrl, RestApi.RestApiId, Key.KeyId, "
        "Alias/Version/LayerVersion ARNs and others the CloudFormation reference documents are refused "
        "('does not support attribute type') or empty, a LogGroup's Arn lacks ':*', and Ref of a Lambda "
        "version or layer version is a generated name, not its ARN (of an event bus, not its name); "
        "here each answers as documented",
        _apply_attributes,
    )
)

CFN_MORE_TYPES = REGISTRY.register(
    Patch(
        "cfn_more_types",
        "gap",
        "no CloudFormation support for AWS::SNS::Subscription, AWS::Lambda::Alias and AWS::Glue::Job "
        "(nothing is subscribed, no alias or job exists); here they are created through moto's SNS, "
        "Lambda and Glue backends",
        add_types(
            "cfn_more_types",
            {
                "AWS::SNS::Subscription": SnsSubscription,
                "AWS::Lambda::Alias": LambdaAlias,
                "AWS::Glue::Job": GlueJob,
            },
        ),
        requires=("missing_cfn_types",),  # its resource_class_from_type looks the types up
    )
)
