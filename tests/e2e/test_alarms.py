"""Every alarm of template.yaml goes to ALARM when its condition happens on the local runtime.

Each test causes the condition the alarm watches (a crashed invocation, a throttled table, a failed
or timed-out execution, a message in a dead-letter queue), then evaluates the alarms with an explicit
clock: at ``start + 60 s``, so the one-minute period the alarm reads is [start, start + 60) and holds
this test's data points only (not an earlier test's). Injected faults stand in for the real failure
(a crash, a throttle), and count as the throttle or error they imitate (runtime/service_metrics.py).

Before any evaluation the alarms are INSUFFICIENT_DATA, as CloudWatch creates them
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.polling import wait_until
from orderflow.runtime.faults import parse_rules
from tests.e2e.e2e_support import Stack

pytestmark = pytest.mark.e2e

FUNCTION_ALARMS = {
    "ValidateOrderErrorsAlarm": "ValidateOrderFunction",
    "CheckStockErrorsAlarm": "CheckStockFunction",
    "WriteOrderErrorsAlarm": "WriteOrderFunction",
    "NotifyOrderErrorsAlarm": "NotifyOrderFunction",
    "OrdersApiErrorsAlarm": "OrdersApiFunction",
    "UsersApiErrorsAlarm": "UsersApiFunction",
    "UserStreamMailerErrorsAlarm": "UserStreamMailerFunction",
}
TABLE_ALARMS = {
    "UsersTableThrottleAlarm": "UsersTable",
    "ProductsTableThrottleAlarm": "ProductsTable",
    "OrdersTableThrottleAlarm": "OrdersTable",
    "EmailClaimsTableThrottleAlarm": "EmailClaimsTable",
}
QUEUE_ALARMS = {
    "OrderNotificationsDlqDepthAlarm": "OrderNotificationsDlq",
    "UserStreamMailerFailuresDepthAlarm": "UserStreamMailerFailures",
}
WORKFLOW_ALARMS = ("OrderWorkflowFailedAlarm", "OrderWorkflowTimedOutAlarm")
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def state(stack: Stack, logical_id: str) -> dict[str, Any]:
    cloudwatch = stack.client("cloudwatch")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[stack.runtime.resources[logical_id]])["MetricAlarms"]
    return dict(alarm)


def evaluate(stack: Stack, start: float) -> None:
    stack.runtime.flush_telemetry()
    stack.runtime.evaluate_alarms(start + 60)


@pytest.fixture
def faults(stack: Stack) -> Iterator[Any]:
    """Sets fault rules (a list of rule dicts) for one test; clears them after it."""

    def set_rules(*rules: dict[str, Any]) -> None:
        stack.runtime.set_faults(parse_rules({"seed": 1, "rules": list(rules)}))

    try:
        yield set_rules
    finally:
        stack.runtime.faults.clear()


def test_the_template_declares_these_fifteen_alarms(stack: Stack) -> None:
    declared = {
        logical
        for logical, physical in stack.runtime.resources.items()
        if logical.endswith("Alarm") and isinstance(physical, str)
    }
    covered = {*FUNCTION_ALARMS, *TABLE_ALARMS, *QUEUE_ALARMS, *WORKFLOW_ALARMS}
    assert declared == covered


@pytest.mark.parametrize("alarm, function", sorted(FUNCTION_ALARMS.items()))
def test_a_crashed_invocation_drives_the_functions_errors_alarm(
    stack: Stack, faults: Any, alarm: str, function: str
) -> None:
    faults({"service": "lambda", "operations": ["Invoke"], "resources": [function], "error": "crash"})
    start = time.time()
    answer = stack.client("lambda").invoke(FunctionName=stack.runtime.resources[function], Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    evaluate(stack, start)
    found = state(stack, alarm)
    assert found["StateValue"] == "ALARM", found["StateReason"]


@pytest.mark.parametrize("operation", ["GetItem", "PutItem"])
@pytest.mark.parametrize("alarm, table", sorted(TABLE_ALARMS.items()))
def test_throttled_reads_or_writes_drive_the_tables_throttle_alarm(
    stack: Stack, faults: Any, alarm: str, table: str, operation: str
) -> None:
    # One throttled request, no retries. Read throttles alone, or write throttles alone, raise the alarm:
    # its expression fills the other series' missing data points with 0.
    client = boto3.client(
        "dynamodb", endpoint_url=stack.endpoint, region_name=stack.region, config=NO_RETRIES
    )
    name = stack.runtime.resources[table]
    schema = client.describe_table(TableName=name)["Table"]["KeySchema"]
    key = {d["AttributeName"]: {"S": "alarm-test"} for d in schema}
    faults(
        {
            "service": "dynamodb",
            "operations": [operation],
            "resources": [table],
            "error": "ProvisionedThroughputExceededException",
        }
    )
    start = time.time()
    call = {
        "GetItem": lambda: client.get_item(TableName=name, Key=key),
        "PutItem": lambda: client.put_item(TableName=name, Item=key),
    }[operation]
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    evaluate(stack, start)
    found = state(stack, alarm)
    assert found["StateValue"] == "ALARM", found["StateReason"]


@pytest.mark.parametrize("alarm, queue", sorted(QUEUE_ALARMS.items()))
def test_a_message_in_the_dead_letter_queue_drives_its_depth_alarm(
    stack: Stack, alarm: str, queue: str
) -> None:
    sqs = stack.client("sqs")
    url = stack.runtime.resources[queue]
    start = time.time()
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"test": "dlq"}))
    try:
        evaluate(stack, start)
        found = state(stack, alarm)
        assert found["StateValue"] == "ALARM", found["StateReason"]
        # the queue's AWS/SQS metrics are listed once each, with its QueueName
        listed = stack.client("cloudwatch").list_metrics(
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[{"Name": "QueueName", "Value": url.rsplit("/", 1)[-1]}],
        )["Metrics"]
        assert len(listed) == 1, listed
    finally:  # the shared stack's DLQ as the other tests expect it
        assert stack.take_back(queue, json.dumps({"test": "dlq"})) == 1


def test_a_failed_execution_drives_the_workflow_failed_alarm(stack: Stack, faults: Any) -> None:
    # an error the workflow neither retries nor catches: the execution FAILS at its first task
    faults(
        {
            "service": "lambda",
            "operations": ["Invoke"],
            "resources": ["ValidateOrderFunction"],
            "error": "EC2ThrottledException",
        }
    )
    sfn = stack.client("stepfunctions")
    start = time.time()
    arn = sfn.start_execution(stateMachineArn=stack.runtime.outputs["OrderWorkflowArn"], input="{}")[
        "executionArn"
    ]
    wait_until(
        lambda: sfn.describe_execution(executionArn=arn)["status"] == "FAILED", timeout=15, what="the failure"
    )
    evaluate(stack, start)
    found = state(stack, "OrderWorkflowFailedAlarm")
    assert found["StateValue"] == "ALARM", found["StateReason"]


def test_a_timed_out_execution_drives_the_workflow_timed_out_alarm(stack: Stack, faults: Any) -> None:
    """The first task is held at a gate (an injected latency whose sleep waits for the test) while
    the workflow's TimeoutSeconds, set to 1 for this test, runs out."""
    sfn = stack.client("stepfunctions")
    arn = stack.runtime.outputs["OrderWorkflowArn"]
    definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    release, held = threading.Event(), threading.Event()
    sleep = stack.runtime.faults.sleep

    def gate(_seconds: float) -> None:
        held.set()
        release.wait(30)

    stack.runtime.faults.sleep = gate
    faults({"service": "lambda", "resources": ["ValidateOrderFunction"], "latency_ms": 1})
    sfn.update_state_machine(
        stateMachineArn=arn, definition=json.dumps({**json.loads(definition), "TimeoutSeconds": 1})
    )
    try:
        start = time.time()
        execution = sfn.start_execution(
            stateMachineArn=arn, name=f"timeout-{uuid.uuid4().hex[:8]}", input="{}"
        )
        assert held.wait(15), "the first task reached the gate"
        wait_until(
            lambda: sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "TIMED_OUT",
            timeout=15,
            what="the execution to time out",
        )
    finally:
        release.set()
        stack.runtime.faults.sleep = sleep
        sfn.update_state_machine(stateMachineArn=arn, definition=definition)
    evaluate(stack, start)
    found = state(stack, "OrderWorkflowTimedOutAlarm")
    assert found["StateValue"] == "ALARM", found["StateReason"]
