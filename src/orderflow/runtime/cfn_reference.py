"""What the CloudFormation resource reference documents as each resource type's return values
(``Ref`` and ``Fn::GetAtt``), for the types SAM apps use: the table ``cfn_attributes.json`` next to
this module, which docs/supported.md lists and tests/runtime/test_cfn_return_values.py deploys.

The attributes are generated, not written by hand: a resource page's "Return values / Fn::GetAtt"
section is made from the ``readOnlyProperties`` of the type's CloudFormation registry schema, which
cfn-lint bundles (``python -m orderflow.runtime.cfn_reference`` writes the table again; a test keeps
the file equal to what this generates). ``Ref`` is not in the schema as such: :data:`TYPES` gives it
per type as the page's "Ref" section words it, with the page it comes from. A few pages document
attributes the schema does not mark read-only (``TopicName``, ``QueueName``, an event bus's ``Name``
and ``Policy``): :data:`TYPES` adds those, with the page. ``emulated`` is False where the runtime
does not emulate the feature the attribute belongs to (S3 Metadata tables), with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("cfn_attributes.json")
DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
SAM_DOCS = "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"

# type -> (docs page, what Ref returns, attributes the page documents beyond readOnlyProperties)
TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "AWS::StepFunctions::StateMachine": ("aws-resource-stepfunctions-statemachine.html", "ARN", ()),
    "AWS::Lambda::Function": ("aws-resource-lambda-function.html", "name", ()),
    "AWS::Lambda::Alias": ("aws-resource-lambda-alias.html", "ARN", ()),
    "AWS::Lambda::Version": ("aws-resource-lambda-version.html", "ARN", ()),
    "AWS::Lambda::LayerVersion": ("aws-resource-lambda-layerversion.html", "ARN", ()),
    "AWS::SNS::Topic": ("aws-resource-sns-topic.html", "ARN", ("TopicName",)),
    "AWS::SNS::Subscription": ("aws-resource-sns-subscription.html", "ARN", ()),
    "AWS::SQS::Queue": ("aws-resource-sqs-queue.html", "URL", ("QueueName",)),
    "AWS::DynamoDB::Table": ("aws-resource-dynamodb-table.html", "name", ()),
    "AWS::S3::Bucket": ("aws-resource-s3-bucket.html", "name", ()),
    "AWS::Events::Rule": ("aws-resource-events-rule.html", "name", ()),
    "AWS::Events::EventBus": ("aws-resource-events-eventbus.html", "name", ("Name", "Policy")),
    "AWS::ApiGateway::RestApi": ("aws-resource-apigateway-restapi.html", "ID", ()),
    "AWS::ApiGateway::Resource": ("aws-resource-apigateway-resource.html", "ID", ()),
    "AWS::ApiGateway::Method": ("aws-resource-apigateway-method.html", "ID", ()),
    "AWS::ApiGateway::Deployment": ("aws-resource-apigateway-deployment.html", "ID", ()),
    "AWS::ApiGateway::Stage": ("aws-resource-apigateway-stage.html", "name", ()),
    "AWS::IAM::Role": ("aws-resource-iam-role.html", "name", ()),
    "AWS::IAM::Policy": ("aws-resource-iam-policy.html", "ID", ()),
    "AWS::Logs::LogGroup": ("aws-resource-logs-loggroup.html", "name", ()),
    "AWS::CloudWatch::Alarm": ("aws-resource-cloudwatch-alarm.html", "name", ()),
    "AWS::Glue::Job": ("aws-resource-glue-job.html", "name", ()),
    "AWS::KMS::Key": ("aws-resource-kms-key.html", "ID", ()),
}

# SAM resources: the SAM translator turns each into the CloudFormation resources above, keeping its
# logical id on the main one, so Ref and Fn::GetAtt are that resource's (the SAM page says which).
SAM_TYPES: dict[str, tuple[str, str, str]] = {
    "AWS::Serverless::Function": ("sam-resource-function.html", "AWS::Lambda::Function", "name"),
    "AWS::Serverless::StateMachine": (
        "sam-resource-statemachine.html",
        "AWS::StepFunctions::StateMachine",
        "ARN",
    ),
    "AWS::Serverless::Api": ("sam-resource-api.html", "AWS::ApiGateway::RestApi", "ID"),
    "AWS::Serverless::SimpleTable": ("sam-resource-simpletable.html", "AWS::DynamoDB::Table", "name"),
    "AWS::Serverless::LayerVersion": ("sam-resource-layerversion.html", "AWS::Lambda::LayerVersion", "ARN"),
}

NOT_EMULATED = {
    "AWS::S3::Bucket": ("Metadata", "S3 Metadata tables are not emulated"),
}


def _attribute(pointer: str) -> str:
    return ".".join(pointer.removeprefix("/properties/").split("/"))


def _schema_attributes(resource_type: str) -> list[str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    names = [_attribute(pointer) for pointer in schema.get("readOnlyProperties", [])]
    # an object whose members are listed is not an attribute itself (SnapStartResponse)
    return [name for name in names if not any(other.startswith(name + ".") for other in names)]


def generate() -> dict[str, Any]:
    """The table, from cfn-lint's bundled schemas and :data:`TYPES`."""
    types: dict[str, Any] = {}
    for resource_type, (page, ref, documented) in TYPES.items():
        attributes = []
        for name in dict.fromkeys([*_schema_attributes(resource_type), *documented]):
            entry: dict[str, Any] = {"name": name, "emulated": True}
            prefix, reason = NOT_EMULATED.get(resource_type, ("", ""))
            if prefix and name.startswith(prefix):
                entry = {"name": name, "emulated": False, "reason": reason}
            attributes.append(entry)
        types[resource_type] = {"docs": DOCS + page, "ref": ref, "attributes": attributes}
    for resource_type, (page, generated, ref) in SAM_TYPES.items():
        types[resource_type] = {
            "docs": SAM_DOCS + page,
            "ref": ref,
            "as": generated,
            "attributes": types[generated]["attributes"],
        }
    return {
        "source": "readOnlyProperties of the CloudFormation registry schemas bundled with cfn-lint, "
        "plus the Ref and extra attributes each docs page documents (orderflow/runtime/cfn_reference.py)",
        "types": types,
    }


def table() -> dict[str, Any]:
    """The committed table."""
    return dict(json.loads(TABLE.read_text(encoding="utf-8")))


if __name__ == "__main__":
    TABLE.write_text(json.dumps(generate(), indent=2) + "\n", encoding="utf-8")
