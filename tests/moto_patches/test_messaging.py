"""Patches ``sns_delivery_outcomes`` and ``events_rule_outcomes`` (orderflow.runtime.moto.messaging): each
SNS notification and each matched EventBridge rule reaches the runtime (which records AWS/SNS and
AWS/Events metrics), and a delivery that fails is counted, not raised into Publish / PutEvents.

AWS delivers after the call has answered: "Monitoring Amazon SNS topics using CloudWatch"
(https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html) counts
NumberOfNotificationsDelivered / Failed / FilteredOut per subscription; "Monitoring Amazon
EventBridge" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html) counts
TriggeredRules, Invocations and FailedInvocations per rule.
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


def check_events_rule_outcomes(runtime_hooks: RecordingHooks) -> None:
    events, sqs = client("events"), client("sqs")
    _, kept = queue_arn(sqs, "kept")
    gone_url, gone = queue_arn(sqs, "gone")
    pattern = json.dumps({"source": ["shop"]})
    events.put_rule(Name="to-kept", EventPattern=pattern)
    events.put_targets(Rule="to-kept", Targets=[{"Id": "q", "Arn": kept}])
    events.put_rule(Name="to-gone", EventPattern=pattern)
    events.put_targets(Rule="to-gone", Targets=[{"Id": "q", "Arn": gone}])
    events.put_rule(Name="elsewhere", EventPattern=json.dumps({"source": ["other"]}))
    events.put_targets(Rule="elsewhere", Targets=[{"Id": "q", "Arn": kept}])
    sqs.delete_queue(QueueUrl=gone_url)
    try:
        answer = events.put_events(Entries=[{"Source": "shop", "DetailType": "Sold", "Detail": "{}"}])
    except ClientError as exc:
        raise AssertionError(f"a failed target failed the PutEvents: {exc}") from None
    [entry] = answer["Entries"]
    assert sorted(runtime_hooks.events_rules) == sorted(
        [
            ("default", "to-kept", entry["EventId"], 1, False),
            ("default", "to-gone", entry["EventId"], 1, True),
        ]
    ), runtime_hooks.events_rules


@gap("events_rule_outcomes")
def test_events_rule_outcomes_gap_in_plain_moto(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_events_rule_outcomes(runtime_hooks)


def test_events_rule_outcomes_patched(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    with REGISTRY.enabled("events_rule_outcomes"):
        check_events_rule_outcomes(runtime_hooks)
