"""orderflow.runtime.moto.iam_resources: the resource each integration's request is authorised against
(Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/)."""

from __future__ import annotations

from typing import Any

import pytest

from orderflow.runtime.iam_policy import Check
from orderflow.runtime.moto import iam_resources

REGION, ACCOUNT = "eu-west-1", "123456789012"


def checks(prefix: str, operation: str, **params: Any) -> list[Check] | None:
    return iam_resources.checks(prefix, operation, params.get, REGION, ACCOUNT)


@pytest.mark.parametrize(
    ("prefix", "operation", "params", "resources"),
    [
        (
            "sns",
            "Publish",
            {"TopicArn": "arn:aws:sns:eu-west-1:123456789012:t"},
            ["arn:aws:sns:eu-west-1:123456789012:t"],
        ),
        ("sns", "Publish", {"PhoneNumber": "+100"}, None),
        (
            "events",
            "PutEvents",
            {
                "Entries": [
                    {"Source": "a"},
                    {"EventBusName": "orders"},
                    {"EventBusName": "arn:aws:events:eu-west-1:1:event-bus/x"},
                ]
            },
            [
                "arn:aws:events:eu-west-1:123456789012:event-bus/default",
                "arn:aws:events:eu-west-1:123456789012:event-bus/orders",
                "arn:aws:events:eu-west-1:1:event-bus/x",
            ],
        ),
        ("glue", "StartJobRun", {"JobName": "etl"}, ["arn:aws:glue:eu-west-1:123456789012:job/etl"]),
        ("kinesis", "PutRecord", {"StreamName": "s"}, ["arn:aws:kinesis:eu-west-1:123456789012:stream/s"]),
        (
            "ssm",
            "GetParameters",
            {"Names": ["/app/a", "b"]},
            [
                "arn:aws:ssm:eu-west-1:123456789012:parameter/app/a",
                "arn:aws:ssm:eu-west-1:123456789012:parameter/b",
            ],
        ),
        ("ecs", "RunTask", {"taskDefinition": "td"}, None),
    ],
)
def test_resource_of_a_request(
    prefix: str, operation: str, params: dict[str, Any], resources: list[str] | None
) -> None:
    found = checks(prefix, operation, **params)
    if resources is None:
        assert found is None
    else:
        assert found is not None
        assert [check.resource for check in found] == resources
        assert {check.action for check in found} == {f"{prefix}:{operation}"}
