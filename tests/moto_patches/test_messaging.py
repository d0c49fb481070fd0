"""Patch ``sns_delivery_outcomes`` (orderflow.runtime.moto.messaging): each SNS notification reaches the
runtime (which records AWS/SNS metrics), and a delivery that fails is counted, not raised into Publish.
(A matched EventBridge rule's outcome is events_rule_targets' part: tests/moto_patches/test_events.py;
a lambda subscription's outcome is sns_lambda_delivery's: test_notifications.py.)

AWS delivers after the call has answered: "Monitoring Amazon SNS topics using CloudWatch"
(https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html) counts
NumberOfNotificationsDelivered / Failed / FilteredOut per subscription.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import RecordingHooks, client, gap


def queue_arn(sqs: object, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]  # type: ignore[attr-defined]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # type: ignore[attr-defined]
    return url, arn


def check_sns_delivery_outcomes(runtime_hooks: RecordingHooks) -> None:
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    _, kept = queue_arn(sqs, "kept")
    gone_url, gone = queue_arn(sqs, "gone")
    _, picky = queue_arn(sqs, "picky")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=kept)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=picky,
        Attributes={"FilterPolicy": json.dumps({"kind": ["refund"]})},
    )
    sqs.delete_queue(QueueUrl=gone_url)
    try:
        sns.publish(TopicArn=topic, Message="hello")
    except ClientError as exc:
        raise AssertionError(f"a failed delivery failed the Publish: {exc}") from None
    assert sorted(runtime_hooks.sns_deliveries) == sorted(
        [(topic, "sqs", "delivered"), (topic, "sqs", "failed"), (topic, "sqs", "filtered")]
    ), runtime_hooks.sns_deliveries


@gap("sns_delivery_outcomes")
def test_sns_delivery_outcomes_gap_in_plain_moto(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_sns_delivery_outcomes(runtime_hooks)


def test_sns_delivery_outcomes_patched(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    with REGISTRY.enabled("sns_delivery_outcomes"):
        check_sns_delivery_outcomes(runtime_hooks)
    assert (
        len(
            client("sqs").receive_message(QueueUrl=client("sqs").get_queue_url(QueueName="kept")["QueueUrl"])[
                "Messages"
            ]
        )
        == 1
    )
