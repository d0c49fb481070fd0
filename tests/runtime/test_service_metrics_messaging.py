"""AWS/SNS and AWS/Events on the fixture stack, as those services publish them
(runtime/service_metrics.py; the outcomes come from the patches of runtime/moto/messaging.py,
notifications.py and events.py, and the delivery thread runtime/event_targets.py): a Publish
and its notifications (delivered, failed, filtered out), a PutEvents and the rules it triggered, and
an injected fault counted as the throttle it imitates."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orderflow.runtime.faults import parse_rules
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e


def total(rt: Any, namespace: str, name: str, **dimensions: str) -> float:
    """The sum of what was recorded of one metric (exactly these dimensions)."""
    key = (namespace, name, frozenset(dimensions.items()))
    return sum(rt.telemetry.store.values(key, 0, time.time() + 3600))


def queue(rt: Any, name: str) -> tuple[str, str]:
    sqs = local_client("sqs", rt.endpoint_url)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_a_publish_counts_the_message_and_each_notifications_outcome(runtime: Any) -> None:
    sns, sqs = local_client("sns", runtime.endpoint_url), local_client("sqs", runtime.endpoint_url)
    topic = sns.create_topic(Name="metered-topic")["TopicArn"]
    _, kept = queue(runtime, "metered-kept")
    gone_url, gone = queue(runtime, "metered-gone")
    _, picky = queue(runtime, "metered-picky")
    for endpoint in (kept, gone):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=picky,
        Attributes={"FilterPolicy": json.dumps({"kind": ["refund"]})},
    )
    sqs.delete_queue(QueueUrl=gone_url)

    sns.publish(TopicArn=topic, Message="hello, topic")  # the gone queue does not fail the Publish

    dims = {"TopicName": "metered-topic"}
    assert total(runtime, "AWS/SNS", "NumberOfMessagesPublished", **dims) == 1
    assert total(runtime, "AWS/SNS", "PublishSize", **dims) == len(b"hello, topic")
    assert total(runtime, "AWS/SNS", "NumberOfNotificationsDelivered", **dims) == 1
    assert total(runtime, "AWS/SNS", "NumberOfNotificationsFailed", **dims) == 1
    assert total(runtime, "AWS/SNS", "NumberOfNotificationsFilteredOut", **dims) == 1


def test_put_events_counts_the_call_the_matched_rules_and_their_invocations(runtime: Any) -> None:
    events = local_client("events", runtime.endpoint_url)
    _, target = queue(runtime, "metered-events")
    pattern = json.dumps({"source": ["metered.shop"]})
    events.put_rule(Name="metered-default", EventPattern=pattern)
    events.put_targets(Rule="metered-default", Targets=[{"Id": "q", "Arn": target}])
    events.create_event_bus(Name="metered-bus")
    events.put_rule(Name="metered-custom", EventBusName="metered-bus", EventPattern=pattern)
    events.put_targets(
        Rule="metered-custom", EventBusName="metered-bus", Targets=[{"Id": "q", "Arn": target}]
    )
    before = {
        name: total(runtime, "AWS/Events", name)
        for name in ("PutEventsApproximateCallCount", "PutEventsEntriesCount", "MatchedEvents", "Invocations")
    }

    entry = {"Source": "metered.shop", "DetailType": "Sold", "Detail": "{}"}
    answer = events.put_events(
        Entries=[entry, {**entry, "EventBusName": "metered-bus"}, {**entry, "Source": "x"}]
    )
    assert answer["FailedEntryCount"] == 0

    def grew(name: str) -> float:
        return total(runtime, "AWS/Events", name) - before[name]

    assert grew("PutEventsApproximateCallCount") == 1
    assert grew("PutEventsEntriesCount") == 3
    assert grew("MatchedEvents") == 2  # the third event matched no rule
    assert grew("Invocations") == 2
    default, custom = (
        {"RuleName": "metered-default"},
        {"EventBusName": "metered-bus", "RuleName": "metered-custom"},
    )
    for dims in (default, custom):
        assert total(runtime, "AWS/Events", "TriggeredRules", **dims) == 1
        assert total(runtime, "AWS/Events", "Invocations", **dims) == 1
        assert total(runtime, "AWS/Events", "FailedInvocations", **dims) == 0  # sent only when not zero
    assert total(runtime, "AWS/Events", "TriggeredRules", RuleName="metered-custom") == 0


def test_an_injected_put_events_throttle_counts_as_a_throttled_call(runtime: Any) -> None:
    events = local_client("events", runtime.endpoint_url)
    throttled_before = total(runtime, "AWS/Events", "PutEventsApproximateThrottledCount")
    success_before = total(runtime, "AWS/Events", "PutEventsApproximateSuccessCount")
    runtime.set_faults(
        parse_rules(
            {"rules": [{"service": "events", "operations": ["PutEvents"], "error": "ThrottlingException"}]}
        )
    )
    try:
        with pytest.raises(ClientError) as raised:
            events.put_events(Entries=[{"Source": "metered.shop", "DetailType": "Sold", "Detail": "{}"}])
    finally:
        runtime.faults.clear()
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    calls = raised.value.response["ResponseMetadata"]["RetryAttempts"] + 1  # botocore retries a throttle
    assert total(runtime, "AWS/Events", "PutEventsApproximateThrottledCount") - throttled_before == calls
    assert total(runtime, "AWS/Events", "PutEventsApproximateSuccessCount") == success_before


def test_a_target_the_runtime_fails_to_deliver_to_is_an_invocation_and_a_failed_one(runtime: Any) -> None:
    """The queue is gone by the time the delivery thread sends to it: Invocations counts the attempt
    (it "includes successful and failed invocations", eb-monitoring.html), FailedInvocations the failure."""
    events, sqs = local_client("events", runtime.endpoint_url), local_client("sqs", runtime.endpoint_url)
    gone_url, gone = queue(runtime, "metered-gone-target")
    events.put_rule(Name="metered-gone", EventPattern=json.dumps({"source": ["metered.gone"]}))
    events.put_targets(Rule="metered-gone", Targets=[{"Id": "q", "Arn": gone}])
    sqs.delete_queue(QueueUrl=gone_url)

    answer = events.put_events(Entries=[{"Source": "metered.gone", "DetailType": "Sold", "Detail": "{}"}])
    assert answer["FailedEntryCount"] == 0  # delivered after PutEvents answered
    assert runtime.wait_for_events()

    dims = {"RuleName": "metered-gone"}
    assert total(runtime, "AWS/Events", "TriggeredRules", **dims) == 1
    assert total(runtime, "AWS/Events", "Invocations", **dims) == 1
    assert total(runtime, "AWS/Events", "FailedInvocations", **dims) == 1


def test_a_lambda_subscription_counts_its_notifications_outcome(runtime: Any) -> None:
    """sns_lambda_delivery (not moto) delivers to a lambda subscription, and reports its outcome too: a
    function that does not exist is a failed notification, not a failed Publish."""
    sns = local_client("sns", runtime.endpoint_url)
    topic = sns.create_topic(Name="metered-lambda-topic")["TopicArn"]
    account, region = topic.split(":")[4], topic.split(":")[3]
    sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=f"arn:aws:lambda:{region}:{account}:function:metered-none"
    )

    sns.publish(TopicArn=topic, Message="hello, function")

    dims = {"TopicName": "metered-lambda-topic"}
    assert total(runtime, "AWS/SNS", "NumberOfNotificationsFailed", **dims) == 1
    assert total(runtime, "AWS/SNS", "NumberOfNotificationsDelivered", **dims) == 0
