"""cfn_attributes, cfn_more_types (runtime/moto/cfn_attributes.py): Fn::GetAtt and
Ref as the CloudFormation resource reference documents them, and the SNS subscription and Lambda alias
moto's CloudFormation does not create.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern: tests/moto_patches/support.py). Every documented attribute of every type is deployed
through the runtime by tests/runtime/test_cfn_return_values.py.
"""

from __future__ import annotations

import json
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import ACCOUNT, REGION, ROLE_ARN, client, create_role, create_stack, gap

ZIP_CODE = {"ZipFile": "def handler(event, context):\n    return None\n"}


def outputs(template: dict[str, Any]) -> dict[str, str]:
    stack = create_stack(template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


# ------------------------------------------------------------------------------ cfn_attributes


def check_cfn_attributes() -> None:
    create_role()
    machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": ROLE_ARN, "DefinitionString": json.dumps(machine)},
            },
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "group"}},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE_ARN,
                    "Code": ZIP_CODE,
                },
            },
            "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        },
        "Outputs": {
            "MachineArn": {"Value": {"Fn::GetAtt": ["Machine", "Arn"]}},
            "TopicArn": {"Value": {"Fn::GetAtt": ["Topic", "TopicArn"]}},
            "QueueUrl": {"Value": {"Fn::GetAtt": ["Queue", "QueueUrl"]}},
            "KeyId": {"Value": {"Fn::GetAtt": ["Key", "KeyId"]}},
            "LogsArn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}},
            "VersionArn": {"Value": {"Fn::GetAtt": ["Version", "FunctionArn"]}},
            "VersionRef": {"Value": {"Ref": "Version"}},
        },
    }
    values = outputs(template)  # plain moto refuses it: "does not support attribute type"
    # (the machine itself lands in the stepfunctions backend with patch sfn_cfn_backend)
    assert values["MachineArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:stack-Machine-")
    assert values["TopicArn"] == client("sns").list_topics()["Topics"][0]["TopicArn"]
    assert values["QueueUrl"] == client("sqs").list_queues()["QueueUrls"][0]
    assert values["KeyId"] == client("kms").list_keys()["Keys"][0]["KeyId"]
    assert values["LogsArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:group:*"
    function_arn = client("lambda").list_functions()["Functions"][0]["FunctionArn"]
    assert values["VersionArn"] == values["VersionRef"] == f"{function_arn}:1"


@gap("cfn_attributes")
def test_cfn_attributes_gap_in_plain_moto(moto_aws: None) -> None:
    check_cfn_attributes()


def test_cfn_attributes_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("cfn_attributes"):
        check_cfn_attributes()


# ---------------------------------------------------------- cfn_more_types


def check_cfn_more_types() -> None:
    create_role()
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "topic"}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "queue"}},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue",
                    "RawMessageDelivery": True,
                    "FilterPolicy": {"kind": ["order"]},
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fn",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE_ARN,
                    "Code": ZIP_CODE,
                },
            },
            "Job": {
                "Type": "AWS::Glue::Job",
                "Properties": {
                    "Name": "nightly",
                    "Role": ROLE_ARN,
                    "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
                },
            },
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "FunctionVersion": "$LATEST", "Name": "live"},
            },
        },
        "Outputs": {
            "SubscriptionRef": {"Value": {"Ref": "Subscription"}},
            "AliasRef": {"Value": {"Ref": "Alias"}},
            "JobRef": {"Value": {"Ref": "Job"}},
        },
    }
    values = outputs(template)
    subscriptions = client("sns").list_subscriptions()["Subscriptions"]
    assert [s["Endpoint"] for s in subscriptions] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue"], "subscribed"
    assert values["SubscriptionRef"] == subscriptions[0]["SubscriptionArn"], "Ref is the subscription's ARN"
    attributes = client("sns").get_subscription_attributes(
        SubscriptionArn=subscriptions[0]["SubscriptionArn"]
    )
    assert attributes["Attributes"]["RawMessageDelivery"] == "true"
    client("sns").publish(
        TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:topic",
        Message="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    url = client("sqs").get_queue_url(QueueName="queue")["QueueUrl"]
    messages = client("sqs").receive_message(QueueUrl=url).get("Messages", [])
    assert [m["Body"] for m in messages] == ["hello"], "delivered raw"
    assert [job["Name"] for job in client("glue").get_jobs()["Jobs"]] == ["nightly"]
    assert values["JobRef"] == "nightly"
    alias = client("lambda").get_alias(FunctionName="fn", Name="live")
    assert values["AliasRef"] == alias["AliasArn"]


@gap("cfn_more_types")
def test_cfn_more_types_gap_in_plain_moto(moto_aws: None) -> None:
    check_cfn_more_types()


def test_cfn_more_types_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("missing_cfn_types", "cfn_more_types"):  # it requires missing_cfn_types
        check_cfn_more_types()


# A template's subscription carries its filter policy and raw delivery (SAM's SNS event with a
# FilterPolicy; aws-resource-sns-subscription.html).
def check_subscription_attributes() -> None:
    client("sqs").create_queue(QueueName="orders")
    policy = {"level": ["high"]}
    create_stack(
        {
            "Resources": {
                "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
                "ToQueue": {
                    "Type": "AWS::SNS::Subscription",
                    "Properties": {
                        "TopicArn": {"Ref": "Alerts"},
                        "Protocol": "sqs",
                        "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders",
                        "FilterPolicy": policy,
                        "RawMessageDelivery": True,
                    },
                },
            }
        }
    )
    sns = client("sns")
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [s["Endpoint"] for s in subscriptions] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"], subscriptions
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscriptions[0]["SubscriptionArn"])[
        "Attributes"
    ]
    assert json.loads(attributes["FilterPolicy"]) == policy
    assert attributes["RawMessageDelivery"] == "true"


def test_cfn_more_types_subscription_keeps_its_attributes(moto_aws: None) -> None:
    with REGISTRY.enabled("missing_cfn_types", "cfn_more_types"):  # it requires missing_cfn_types
        check_subscription_attributes()
