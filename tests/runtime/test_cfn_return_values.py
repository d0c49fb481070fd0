"""Every Ref and Fn::GetAtt return value the CloudFormation resource reference documents for the
resource types SAM apps use (the table orderflow/runtime/cfn_attributes.json, see cfn_reference.py),
deployed through the runtime's real path (package, SAM transform, the embedded CloudFormation) as
Outputs of one template, each checked against the form its docs page gives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime import cfn_reference
from tests.runtime.runtime_support import running

pytestmark = pytest.mark.e2e

R, A = "us-east-1", "123456789012"
ROLE = {"Fn::GetAtt": ["Role", "Arn"]}
ZIP = {"ZipFile": "def handler(event, context):\n    return event\n"}
MOCK = {"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'}}

RESOURCES: dict[str, dict[str, Any]] = {
    # SAM resources (the translator keeps the logical id on the main resource)
    "SamFunction": {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "src/",
            "Handler": "app.handler",
            "Runtime": "python3.12",
            "Events": {
                "Get": {
                    "Type": "Api",
                    "Properties": {"Path": "/x", "Method": "get", "RestApiId": {"Ref": "SamApi"}},
                }
            },
        },
    },
    "SamMachine": {
        "Type": "AWS::Serverless::StateMachine",
        "Properties": {
            "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "Policies": [],
        },
    },
    "SamApi": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "v1"}},
    "SamTable": {"Type": "AWS::Serverless::SimpleTable"},
    # CloudFormation resources
    "Role": {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
    },
    "Policy": {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "p",
            "Roles": [{"Ref": "Role"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            },
        },
    },
    "Machine": {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "RoleArn": ROLE,
            "DefinitionString": '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        },
    },
    "Function": {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Role": ROLE, "Code": ZIP},
    },
    "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Function"}}},
    "Alias": {
        "Type": "AWS::Lambda::Alias",
        "Properties": {
            "FunctionName": {"Ref": "Function"},
            "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
            "Name": "live",
        },
    },
    "Layer": {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {
            "LayerName": "shared",
            "Content": {"S3Bucket": "values-local-artifacts", "S3Key": "layer.zip"},
        },
    },
    "Topic": {"Type": "AWS::SNS::Topic"},
    "Queue": {"Type": "AWS::SQS::Queue"},
    "Subscription": {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
        },
    },
    "Table": {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        },
    },
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Rule": {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"source": ["app"]}}},
    "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "app-bus"}},
    "RestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "declared"}},
    "Resource": {
        "Type": "AWS::ApiGateway::Resource",
        "Properties": {
            "RestApiId": {"Ref": "RestApi"},
            "ParentId": {"Fn::GetAtt": ["RestApi", "RootResourceId"]},
            "PathPart": "ping",
        },
    },
    "Method": {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "RestApiId": {"Ref": "RestApi"},
            "ResourceId": {"Ref": "Resource"},
            "HttpMethod": "GET",
            "AuthorizationType": "NONE",
            "Integration": MOCK,
        },
    },
    "Deployment": {
        "Type": "AWS::ApiGateway::Deployment",
        "DependsOn": "Method",
        "Properties": {"RestApiId": {"Ref": "RestApi"}},
    },
    "Stage": {
        "Type": "AWS::ApiGateway::Stage",
        "Properties": {
            "RestApiId": {"Ref": "RestApi"},
            "DeploymentId": {"Ref": "Deployment"},
            "StageName": "live",
        },
    },
    "Logs": {"Type": "AWS::Logs::LogGroup"},
    "Alarm": {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Namespace": "app",
            "MetricName": "errors",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    },
    "Job": {
        "Type": "AWS::Glue::Job",
        "Properties": {
            "Name": "nightly",
            "Role": ROLE,
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
        },
    },
    "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}}},
}

NAME = r"[A-Za-z0-9._-]+"
ID = r"[A-Za-z0-9-]+"
# The form of each value, as the docs pages give it (one pattern per type and attribute; "Ref" too).
FORMS: dict[str, dict[str, str]] = {
    "AWS::StepFunctions::StateMachine": {
        "Ref": rf"arn:aws:states:{R}:{A}:stateMachine:{NAME}",
        "Arn": rf"arn:aws:states:{R}:{A}:stateMachine:{NAME}",
        "Name": NAME,
        "StateMachineRevisionId": r"[0-9a-f-]{36}",
    },
    "AWS::Lambda::Function": {
        "Ref": NAME,
        "Arn": rf"arn:aws:lambda:{R}:{A}:function:{NAME}",
        "SnapStartResponse.ApplyOn": r"None",
        "SnapStartResponse.OptimizationStatus": r"Off",
    },
    "AWS::Lambda::Alias": {
        "Ref": rf"arn:aws:lambda:{R}:{A}:function:{NAME}:live",
        "AliasArn": rf"arn:aws:lambda:{R}:{A}:function:{NAME}:live",
    },
    "AWS::Lambda::Version": {
        "Ref": rf"arn:aws:lambda:{R}:{A}:function:{NAME}:1",
        "FunctionArn": rf"arn:aws:lambda:{R}:{A}:function:{NAME}:1",
        "Version": r"1",
    },
    "AWS::Lambda::LayerVersion": {
        "Ref": rf"arn:aws:lambda:{R}:{A}:layer:{NAME}:\d+",
        "LayerVersionArn": rf"arn:aws:lambda:{R}:{A}:layer:{NAME}:\d+",
    },
    "AWS::SNS::Topic": {
        "Ref": rf"arn:aws:sns:{R}:{A}:{NAME}",
        "TopicArn": rf"arn:aws:sns:{R}:{A}:{NAME}",
        "TopicName": NAME,
    },
    "AWS::SNS::Subscription": {
        "Ref": rf"arn:aws:sns:{R}:{A}:{NAME}:{ID}",
        "Arn": rf"arn:aws:sns:{R}:{A}:{NAME}:{ID}",
    },
    "AWS::SQS::Queue": {
        "Ref": rf"https://sqs\.{R}\.amazonaws\.com/{A}/{NAME}",
        "QueueUrl": rf"https://sqs\.{R}\.amazonaws\.com/{A}/{NAME}",
        "Arn": rf"arn:aws:sqs:{R}:{A}:{NAME}",
        "QueueName": NAME,
    },
    "AWS::DynamoDB::Table": {
        "Ref": NAME,
        "Arn": rf"arn:aws:dynamodb:{R}:{A}:table/{NAME}",
        "StreamArn": rf"arn:aws:dynamodb:{R}:{A}:table/{NAME}/stream/.+",
    },
    "AWS::S3::Bucket": {
        "Ref": NAME,
        "Arn": rf"arn:aws:s3:::{NAME}",
        "DomainName": rf"{NAME}\.s3\.amazonaws\.com",
        "DualStackDomainName": rf"{NAME}\.s3\.dualstack\.{R}\.amazonaws\.com",
        "RegionalDomainName": rf"{NAME}\.s3\.{R}\.amazonaws\.com",
        "WebsiteURL": rf"http://{NAME}\.s3-website[.-]{R}\.amazonaws\.com",
    },
    "AWS::Events::Rule": {"Ref": NAME, "Arn": rf"arn:aws:events:{R}:{A}:rule/{NAME}", "RuleName": NAME},
    "AWS::Events::EventBus": {
        "Ref": "app-bus",
        "Arn": rf"arn:aws:events:{R}:{A}:event-bus/app-bus",
        "Name": "app-bus",
        "Policy": r"(|\{.*\})",
    },
    "AWS::ApiGateway::RestApi": {"Ref": ID, "RestApiId": ID, "RootResourceId": ID},
    "AWS::ApiGateway::Resource": {"Ref": ID, "ResourceId": ID},
    "AWS::ApiGateway::Method": {"Ref": ID},
    "AWS::ApiGateway::Deployment": {"Ref": ID, "DeploymentId": ID},
    "AWS::ApiGateway::Stage": {"Ref": "live"},
    "AWS::IAM::Role": {"Ref": NAME, "Arn": rf"arn:aws:iam::{A}:role/{NAME}", "RoleId": r"AROA[A-Z0-9]+"},
    "AWS::IAM::Policy": {"Ref": NAME, "Id": NAME},
    "AWS::Logs::LogGroup": {"Ref": NAME, "Arn": rf"arn:aws:logs:{R}:{A}:log-group:{NAME}:\*"},
    "AWS::CloudWatch::Alarm": {"Ref": NAME, "Arn": rf"arn:aws:cloudwatch:{R}:{A}:alarm:{NAME}"},
    "AWS::Glue::Job": {"Ref": "nightly"},
    "AWS::KMS::Key": {"Ref": ID, "Arn": rf"arn:aws:kms:{R}:{A}:key/{ID}", "KeyId": ID},
}


# A SimpleTable has no stream (SAM gives it none): its StreamArn does not exist, as in AWS.
NOT_ASKED = {("SamTable", "StreamArn")}


def _key(logical_id: str, what: str) -> str:
    return logical_id + re.sub(r"[^A-Za-z0-9]", "", what)


def expected_outputs() -> dict[str, tuple[str, str, str]]:
    """Output key -> (logical id, type, attribute or "Ref") for every documented, emulated value."""
    table = cfn_reference.table()["types"]
    wanted: dict[str, tuple[str, str, str]] = {}
    for logical_id, resource in RESOURCES.items():
        entry = table[resource["Type"]]
        wanted[_key(logical_id, "Ref")] = (logical_id, resource["Type"], "Ref")
        for attribute in entry["attributes"]:
            if attribute["emulated"] and (logical_id, attribute["name"]) not in NOT_ASKED:
                wanted[_key(logical_id, attribute["name"])] = (
                    logical_id,
                    resource["Type"],
                    attribute["name"],
                )
    return wanted


def write_app(directory: Path) -> Path:
    (directory / "src").mkdir()
    (directory / "src" / "app.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200}\n"
    )
    outputs = {
        key: {"Value": {"Ref": logical_id} if what == "Ref" else {"Fn::GetAtt": [logical_id, what]}}
        for key, (logical_id, _, what) in expected_outputs().items()
    }
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": RESOURCES, "Outputs": outputs}
    path = directory / "template.yaml"
    path.write_text(json.dumps(template, indent=1))
    return path


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = tmp_path_factory.mktemp("app")
    with running(write_app(app), "values", state_dir=tmp_path_factory.mktemp("state")) as runtime:
        yield runtime


def test_the_table_is_what_the_schemas_and_docs_pages_give() -> None:
    assert cfn_reference.table() == cfn_reference.generate()


def test_every_type_of_the_table_is_deployed_here() -> None:
    deployed_types = {resource["Type"] for resource in RESOURCES.values()}
    sam_only = {"AWS::Serverless::LayerVersion"}  # its logical id gets a hash: Layer covers its values
    assert set(cfn_reference.table()["types"]) - sam_only == deployed_types
    for resource_type, entry in cfn_reference.table()["types"].items():
        resource_type = entry.get("as", resource_type)
        names = {a["name"] for a in entry["attributes"] if a["emulated"]} | {"Ref"}
        assert names == set(FORMS[resource_type]), resource_type


@pytest.mark.parametrize("key", sorted(expected_outputs()))
def test_each_value_has_its_documented_form(deployed: Any, key: str) -> None:
    logical_id, resource_type, what = expected_outputs()[key]
    table_entry = cfn_reference.table()["types"][resource_type]
    form = FORMS[table_entry.get("as", resource_type)][what]
    value = deployed.outputs.get(key, "")
    assert re.fullmatch(form, value), f"{logical_id} {what}: {value!r} is not {form} ({table_entry['docs']})"


def test_the_docs_page_lists_every_type_and_value() -> None:
    page = (Path(__file__).parents[2] / "docs" / "supported.md").read_text()
    for resource_type, entry in cfn_reference.table()["types"].items():
        row = next((line for line in page.splitlines() if line.startswith(f"| [`{resource_type}`]")), "")
        assert row, f"{resource_type} is not in docs/supported.md"
        for attribute in entry["attributes"]:
            if attribute["emulated"]:
                assert f"`{attribute['name']}`" in row, f"{resource_type}.{attribute['name']}"
