"""s3_eventbridge, s3_lambda_notifications, s3_cfn_notifications, sns_lambda_delivery
(runtime/moto/notifications.py). A template's AWS::SNS::Subscription is cfn_more_types's
(tests/moto_patches/test_cfn_attributes.py).

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern: tests/moto_patches/support.py).

- S3's EventBridge events: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
- S3 event records: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
- The SNS record Lambda gets: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    ACCOUNT,
    REGION,
    RecordingHooks,
    client,
    create_function,
    create_stack,
    gap,
)

QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"


def spy_invocations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every LambdaFunction.invoke: (function, event, request headers), recorded instead of run."""
    from moto.awslambda.models import LambdaFunction

    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        calls.append((self.function_name, json.loads(body), dict(request_headers or {})))
        return b"{}"

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    return calls


# ------------------------------------------------------------------------------------- s3_eventbridge


def spy_bus_events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """(rule name, event) for every event handed to a rule: what S3 sends EventBridge."""
    from moto.events.models import Rule

    seen: list[tuple[str, dict[str, Any]]] = []

    def send_to_targets(self: Any, event: Any, transform_input: bool = True) -> None:
        seen.append((self.name, json.loads(json.dumps(event, default=str))))

    monkeypatch.setattr(Rule, "send_to_targets", send_to_targets)
    return seen


def check_s3_eventbridge(monkeypatch: pytest.MonkeyPatch) -> None:
    events = client("events")
    events.put_rule(Name="s3-default", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.create_event_bus(Name="other")
    events.put_rule(Name="s3-other", EventBusName="other", EventPattern=json.dumps({"source": ["aws.s3"]}))
    seen = spy_bus_events(monkeypatch)
    s3 = client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    s3.put_object(Bucket="uploads", Key="a.txt", Body=b"12345")
    s3.put_object(Bucket="uploads", Key="b.txt", Body=b"1")
    s3.delete_object(Bucket="uploads", Key="a.txt")
    assert [rule for rule, _ in seen] == ["s3-default"] * 3, "S3 sends to the default bus only"
    created, second, deleted = (event for _, event in seen)
    assert created["id"] != second["id"]
    assert created["detail-type"] == "Object Created" and created["time"].endswith("Z")
    assert created["detail"]["reason"] == "PutObject"
    assert set(created["detail"]["object"]) >= {"key", "size", "etag", "sequencer"}
    assert created["detail"]["object"]["size"] == 5
    assert deleted["detail-type"] == "Object Deleted"
    assert deleted["detail"]["reason"] == "DeleteObject"
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted"


@gap("s3_eventbridge")
def test_s3_eventbridge_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_s3_eventbridge(monkeypatch)


def test_s3_eventbridge_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("s3_eventbridge"):
        check_s3_eventbridge(monkeypatch)


# ---------------------------------------------------------------------------- s3_lambda_notifications


def check_s3_lambda_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    function_arn = create_function("on-upload")
    calls = spy_invocations(monkeypatch)
    s3 = client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"], "Id": "upload"}
            ]
        },
    )
    s3.put_object(Bucket="uploads", Key="in/a b.txt", Body=b"abc")
    assert len(calls) == 1
    name, event, headers = calls[0]
    assert name == "on-upload"
    assert headers.get("X-Amz-Invocation-Type") == "Event", "S3 invokes asynchronously"
    record = event["Records"][0]
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)
    assert record["s3"]["object"]["key"] == "in/a+b.txt"
    assert set(record["s3"]["object"]) >= {"size", "eTag", "sequencer"}
    assert record["s3"]["configurationId"] == "upload"


@gap("s3_lambda_notifications")
def test_s3_lambda_notifications_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_s3_lambda_notifications(monkeypatch)


def test_s3_lambda_notifications_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("s3_lambda_notifications"):
        check_s3_lambda_notifications(monkeypatch)


# ------------------------------------------------------------------------------ s3_cfn_notifications


def check_s3_cfn_notifications() -> None:
    queue_arn = client("sqs").create_queue(QueueName="uploads-q")["QueueUrl"] and QUEUE_ARN.replace(
        "orders", "uploads-q"
    )
    create_stack(
        {
            "Resources": {
                "Uploads": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {
                        "BucketName": "cfn-uploads",
                        "NotificationConfiguration": {
                            "EventBridgeConfiguration": {"EventBridgeEnabled": True},
                            "QueueConfigurations": [
                                {
                                    "Event": "s3:ObjectCreated:*",
                                    "Queue": queue_arn,
                                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}]}},
                                }
                            ],
                        },
                    },
                }
            }
        }
    )
    config = client("s3").get_bucket_notification_configuration(Bucket="cfn-uploads")
    # moto's GetBucketNotificationConfiguration leaves out an EventBridgeConfiguration (set by its own
    # API too): the bucket's model says whether S3 sends to EventBridge.
    from moto.s3.models import s3_backends

    model = s3_backends[ACCOUNT]["aws"].get_bucket("cfn-uploads").notification_configuration
    assert model is not None and model.event_bridge is not None, "EventBridge notifications are on"
    [queue] = config.get("QueueConfigurations") or [None]
    assert queue is not None and queue["QueueArn"] == queue_arn
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "in/"}]


@gap("s3_cfn_notifications")
def test_s3_cfn_notifications_gap_in_plain_moto(moto_aws: None) -> None:
    check_s3_cfn_notifications()


def test_s3_cfn_notifications_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("s3_cfn_notifications"):
        check_s3_cfn_notifications()


# ------------------------------------------------------------------------------- sns_lambda_delivery


def check_sns_lambda_delivery(monkeypatch: pytest.MonkeyPatch, recorded: RecordingHooks) -> None:
    function_arn = create_function("on-alert")
    sns = client("sns")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    subscription_arn = sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)[
        "SubscriptionArn"
    ]
    sns.subscribe(  # filtered out: counted, not invoked
        TopicArn=topic_arn,
        Protocol="lambda",
        Endpoint=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:on-low-alert",
        Attributes={"FilterPolicy": json.dumps({"level": ["low"]})},
    )
    calls = spy_invocations(monkeypatch)
    message_id = sns.publish(
        TopicArn=topic_arn,
        Message="disk full",
        Subject="ops",
        MessageAttributes={"level": {"DataType": "String", "StringValue": "high"}},
    )["MessageId"]
    assert len(calls) == 1
    _, event, headers = calls[0]
    assert headers.get("X-Amz-Invocation-Type") == "Event", "SNS invokes asynchronously"
    record = event["Records"][0]
    assert record["EventSubscriptionArn"] == subscription_arn
    sns_part = record["Sns"]
    assert sns_part["TopicArn"] == topic_arn and sns_part["MessageId"] == message_id
    assert sns_part["Message"] == "disk full" and sns_part["Subject"] == "ops"
    assert sns_part["MessageAttributes"] == {"level": {"Type": "String", "Value": "high"}}
    # each notification's outcome reaches the runtime's AWS/SNS metrics (sns-monitoring-using-cloudwatch.html)
    assert sorted(recorded.sns_deliveries) == [
        (topic_arn, "lambda", "delivered"),
        (topic_arn, "lambda", "filtered"),
    ], recorded.sns_deliveries


@gap("sns_lambda_delivery")
def test_sns_lambda_delivery_gap_in_plain_moto(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    check_sns_lambda_delivery(monkeypatch, runtime_hooks)


def test_sns_lambda_delivery_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    with REGISTRY.enabled("sns_lambda_delivery"):
        check_sns_lambda_delivery(monkeypatch, runtime_hooks)


def test_sns_lambda_delivery_composes_with_sns_delivery_outcomes(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    """Both replace Subscription.publish (declared in SHARED_ATTRIBUTES): a lambda subscription is
    delivered and reported once, by sns_lambda_delivery; a queue's by sns_delivery_outcomes."""
    client("sqs").create_queue(QueueName="orders")
    function_arn = create_function("on-alert")
    calls = spy_invocations(monkeypatch)
    sns = client("sns")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=QUEUE_ARN)
    with REGISTRY.enabled("sns_delivery_outcomes", "sns_lambda_delivery"):
        sns.publish(TopicArn=topic_arn, Message="disk full")
    assert len(calls) == 1
    assert sorted(runtime_hooks.sns_deliveries) == [
        (topic_arn, "lambda", "delivered"),
        (topic_arn, "sqs", "delivered"),
    ]
