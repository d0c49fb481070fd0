"""Patch ``cfn_stack_update`` (orderflow.runtime.moto.cfn_update), shown against plain moto: the gap
test is a strict xfail (see support.py), the patched test runs the same check with the patch on.

CloudFormation applies every property change of an UpdateStack, including one that reaches the
resource only through a parameter, and a queue's attributes update with no interruption
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html).
"""

from __future__ import annotations

import json
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import client, create_stack, gap

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Visibility": {"Type": "Number", "Default": "30"}},
    "Resources": {
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"VisibilityTimeout": {"Ref": "Visibility"}, "MessageRetentionPeriod": 345600},
        }
    },
}


def check_cfn_stack_update() -> None:
    assert create_stack(TEMPLATE)["StackStatus"] == "CREATE_COMPLETE"
    changed = json.loads(json.dumps(TEMPLATE))
    changed["Resources"]["Jobs"]["Properties"]["MessageRetentionPeriod"] = 60
    cfn = client("cloudformation")
    cfn.update_stack(
        StackName="stack",
        TemplateBody=json.dumps(changed),
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "45"}],
    )
    assert cfn.describe_stacks(StackName="stack")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    sqs = client("sqs")
    url = sqs.list_queues()["QueueUrls"][0]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "60", "a changed attribute reaches the queue"
    assert attributes["VisibilityTimeout"] == "45", "a changed parameter reaches the queue"


@gap("cfn_stack_update")
def test_cfn_stack_update_gap_in_plain_moto(moto_aws: None) -> None:
    check_cfn_stack_update()


def test_cfn_stack_update_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("cfn_stack_update"):
        check_cfn_stack_update()
