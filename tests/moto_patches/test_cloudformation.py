"""rest_api_cfn, missing_cfn_types, stack_failure (runtime/moto/cloudformation.py): CloudFormation
resources plain moto lacks, and a failing resource failing its stack.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import pytest
from moto.cloudformation import parsing

from orderflow.runtime import moto as moto_layer
from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto.cloudformation import ADDED_TYPES, Placeholder
from tests.moto_patches.support import (
    ACCOUNT,
    REGION,
    ROLE_ARN,
    RecordingHooks,
    client,
    create_role,
    create_stack,
    gap,
    stack_resources,
)

# --------------------------------------------------------------------------------- rest_api_cfn


def check_rest_api_cfn() -> None:
    body = {
        "swagger": "2.0",
        "info": {"title": "orders-api", "version": "1"},
        "paths": {
            "/orders": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn/invocations",
                    }
                }
            }
        },
    }
    template = {"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}}
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    api_id = stack_resources()["Api"]["PhysicalResourceId"]
    apigateway = client("apigateway")
    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "orders-api", "named by info.title"
    resources = {r["path"]: r for r in apigateway.get_resources(restApiId=api_id)["items"]}
    assert "/orders" in resources
    assert "GET" in resources["/orders"].get("resourceMethods", {})


@gap("rest_api_cfn")
def test_rest_api_cfn_gap_in_plain_moto(moto_aws: None) -> None:
    check_rest_api_cfn()


def test_rest_api_cfn_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("rest_api_cfn"):
        check_rest_api_cfn()


# ---------------------------------------------------------------------------- missing_cfn_types


def check_missing_cfn_types() -> None:
    # AWS::CloudWatch::Alarm is created through a boto3 client to the embedded server
    # (127.0.0.1:<MOTO_PORT>), which in-process moto does not run: tests/runtime/
    # test_runtime_moto_adapter.py covers it on the fixture stack.
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
            "Get": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "HttpMethod": "GET",
                    "AuthorizationType": "NONE",
                    "Integration": {
                        "Type": "MOCK",
                        "IntegrationHttpMethod": "POST",
                        "Uri": "http://example.com",
                    },
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "DependsOn": "Get",
                "Properties": {"RestApiId": {"Ref": "Api"}},
            },
            "Stage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "DeploymentId": {"Ref": "Deployment"},
                    "StageName": "live",
                },
            },
            "Sender": {
                "Type": "AWS::SES::EmailIdentity",
                "Properties": {"EmailIdentity": "shop@example.com"},
            },
            "Filter": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": "group",
                    "FilterPattern": "ERROR",
                    "MetricTransformations": [
                        {"MetricName": "errors", "MetricNamespace": "app", "MetricValue": "1"}
                    ],
                },
            },
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    api_id = client("apigateway").get_rest_apis()["items"][0]["id"]
    stages = client("apigateway").get_stages(restApiId=api_id)["item"]
    assert [stage["stageName"] for stage in stages] == ["live"]
    ses = client("ses")
    assert "shop@example.com" in ses.list_identities()["Identities"]
    attributes = ses.get_identity_verification_attributes(Identities=["shop@example.com"])
    assert attributes["VerificationAttributes"]["shop@example.com"]["VerificationStatus"] == "Success"
    resources = stack_resources()
    assert set(resources) == {"Api", "Get", "Deployment", "Stage", "Sender", "Filter"}
    assert resources["Stage"]["PhysicalResourceId"] == "live"
    assert resources["Sender"]["PhysicalResourceId"] == "shop@example.com"
    assert resources["Deployment"]["PhysicalResourceId"] == stages[0]["deploymentId"]
    assert all(resource.get("PhysicalResourceId") for resource in resources.values()), resources


@gap("missing_cfn_types")
@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")  # moto's own note of the gap
def test_missing_cfn_types_gap_in_plain_moto(moto_aws: None) -> None:
    check_missing_cfn_types()


def test_missing_cfn_types_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("missing_cfn_types"):
        check_missing_cfn_types()


# The one registry of added resource types: each is created only while the patch that owns it is on
# (with missing_cfn_types, whose resource_class_from_type looks them up, on too).


def test_every_added_type_is_on_only_while_its_patch_is() -> None:
    owners = {resource_type: owner for resource_type, (owner, _) in ADDED_TYPES.items()}
    assert owners == {
        "AWS::ApiGateway::Stage": "missing_cfn_types",
        "AWS::CloudWatch::Alarm": "missing_cfn_types",
        "AWS::SES::EmailIdentity": "missing_cfn_types",
        "AWS::SNS::Subscription": "cfn_more_types",
        "AWS::Lambda::Alias": "cfn_more_types",
        "AWS::Glue::Job": "cfn_more_types",
        "AWS::Scheduler::Schedule": "scheduler_cfn_schedule",
    }
    plain = parsing.resource_class_from_type
    for resource_type, (owner, model) in ADDED_TYPES.items():
        if owner != "missing_cfn_types":
            assert REGISTRY[owner].requires == ("missing_cfn_types",), owner
            with REGISTRY.enabled("missing_cfn_types"):
                assert parsing.resource_class_from_type(resource_type) is Placeholder, resource_type
        with REGISTRY.enabled("missing_cfn_types", owner):
            assert parsing.resource_class_from_type(resource_type) is model, resource_type
        assert parsing.resource_class_from_type is plain
    assert REGISTRY.active() == []


def test_a_patch_left_off_at_start_leaves_its_types_out() -> None:
    moto_layer.start(RecordingHooks(), disabled=("cfn_more_types",))
    try:
        assert parsing.resource_class_from_type("AWS::SNS::Subscription") is Placeholder
        assert parsing.resource_class_from_type("AWS::Glue::Job") is Placeholder
        assert (
            parsing.resource_class_from_type("AWS::Scheduler::Schedule")
            is ADDED_TYPES["AWS::Scheduler::Schedule"][1]
        )
    finally:
        moto_layer.stop()
    with pytest.raises(KeyError, match="'missing_cfn_types' can be left off only with 'cfn_more_types'"):
        moto_layer.check_versions(disabled=("missing_cfn_types",))
    moto_layer.check_versions(disabled=("missing_cfn_types", "cfn_more_types", "scheduler_cfn_schedule"))


# -------------------------------------------------------------------------------- stack_failure


def check_stack_failure() -> None:
    create_role()
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fn",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE_ARN,
                    "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue",
                },
            },
        },
        "Outputs": {"FnArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}, "Id": {"Value": {"Ref": "Mapping"}}},
    }
    stack = create_stack(template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", stack["StackStatus"]
    assert "Outputs" not in stack
    events = client("cloudformation").describe_stack_events(StackName="stack")["StackEvents"]
    failed = [event for event in events if event["ResourceStatus"] == "CREATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceType"]) for e in failed] == [
        ("Mapping", "AWS::Lambda::EventSourceMapping")
    ]
    assert failed[0]["ResourceStatusReason"].startswith("Invalid EventSourceArn"), failed
    assert client("cloudformation").describe_stack_resources(StackName="stack")["StackResources"] == []
    assert client("lambda").list_functions()["Functions"] == [], "rolled back: the function is deleted"


@gap("stack_failure")
def test_stack_failure_gap_in_plain_moto(moto_aws: None) -> None:
    check_stack_failure()


def test_stack_failure_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("stack_failure"):
        check_stack_failure()
