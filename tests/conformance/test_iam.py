"""Conformance: a state machine's service integrations run as its role, and IAM evaluates each one
against the resource it names ("How Step Functions generates IAM policies for integrated services",
https://docs.aws.amazon.com/step-functions/latest/dg/service-integration-iam-templates.html: the
generated policies name the topic for ``sns:Publish`` and the event bus for ``events:PutEvents``).

This module turns the runtime's IAM enforcement on (``iam_role_sessions``, ``sfn_task_role``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance.harness import ACCOUNT, REGION, Conformance, client, conformance_aws

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture(scope="module")
def module_aws() -> Iterator[Conformance]:
    with conformance_aws(extra_patches=("iam_role_sessions", "sfn_task_role")) as aws:
        yield aws


def role(name: str, statements: list[dict[str, Any]]) -> str:
    iam = client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])
    iam.put_role_policy(
        RoleName=name,
        PolicyName="integrations",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn


def publish(topic: str) -> dict[str, Any]:
    return {
        "StartAt": "Publish",
        "States": {
            "Publish": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": topic, "Message": "hello"},
                "End": True,
            }
        },
    }


def test_sns_publish_is_authorised_against_the_topic(aws: Conformance) -> None:
    """The SAM policy template SNSPublishMessagePolicy: sns:Publish on the topic's ARN only."""
    sns = client("sns")
    allowed = sns.create_topic(Name="allowed-topic")["TopicArn"]
    other = sns.create_topic(Name="other-topic")["TopicArn"]
    role_arn = role("sns-publisher", [{"Effect": "Allow", "Action": "sns:Publish", "Resource": allowed}])
    done = aws.run(publish(allowed), {}, role_arn=role_arn)
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    refused = aws.run(publish(other), {}, role_arn=role_arn)
    assert refused.status == "FAILED"
    assert other in (refused.cause or ""), refused.cause


def test_events_put_events_is_authorised_against_the_bus(aws: Conformance) -> None:
    """The SAM policy template EventBridgePutEventsPolicy: events:PutEvents on the bus's ARN."""
    bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    role_arn = role("events-publisher", [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}])
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [{"Detail": {"m": 1}, "DetailType": "t", "Source": "my.source"}]},
                "End": True,
            }
        },
    }
    done = aws.run(definition, {}, role_arn=role_arn)
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["FailedEntryCount"] == 0
