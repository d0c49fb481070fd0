"""Patches of orderflow.runtime.moto.sfn_api (``sfn_describe_output``, ``sfn_history_order``,
``sfn_task_failure_cause``) and orderflow.runtime.moto.integrations (``sfn_integration_shapes``,
``sfn_heartbeat_timeout``), shown against plain moto: each gap test is a strict xfail (see
support.py), each patched test runs the same check with the patch on.

The callback cases use ``sqs:sendMessage.waitForTaskToken`` (plain moto runs no Lambda without
Docker): the test reads the token from the queue, then answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import client, create_state_machine, finished_execution, gap, wait_until


def start(definition: dict[str, Any], payload: Any = None) -> str:
    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, definition, name=f"m-{uuid.uuid4().hex[:8]}")
    return str(sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))["executionArn"])


def run(definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
    return finished_execution(client("stepfunctions"), start(definition, payload))


def callback_machine(url: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                **fields,
                "End": True,
            }
        },
    }


def handed_out_token(url: str) -> str:
    sqs = client("sqs")
    messages = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"), "the task's token")
    return str(json.loads(messages[0]["Body"])["token"])


# ---------------------------------------------------------------------------- sfn_describe_output


def check_sfn_describe_output() -> None:
    done = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "Hello", "End": True}}})
    assert done["status"] == "SUCCEEDED"
    assert done["output"] == '"Hello"', "DescribeExecution's output is JSON text"


@gap("sfn_describe_output", "DescribeExecution sends a string output bare, not as JSON")
def test_sfn_describe_output_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_describe_output()


def test_sfn_describe_output_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_describe_output"):
        check_sfn_describe_output()


# ------------------------------------------------------------------------------ sfn_history_order


def check_sfn_history_order() -> None:
    sfn = client("stepfunctions")
    execution = start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    finished_execution(sfn, execution)
    everything = sfn.get_execution_history(executionArn=execution)["events"]
    newest_first = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert [e["id"] for e in newest_first] == [e["id"] for e in reversed(everything)]
    first = sfn.get_execution_history(executionArn=execution, maxResults=2)
    assert [e["id"] for e in first["events"]] == [1, 2]
    rest = sfn.get_execution_history(executionArn=execution, maxResults=100, nextToken=first["nextToken"])
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in everything[2:]]
    assert "nextToken" not in rest


@gap("sfn_history_order", "GetExecutionHistory ignores reverseOrder, maxResults and nextToken")
def test_sfn_history_order_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_history_order()


def test_sfn_history_order_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_history_order"):
        check_sfn_history_order()


# ------------------------------------------------------------------------- sfn_task_failure_cause


def check_sfn_task_failure_cause() -> None:
    sfn = client("stepfunctions")
    url = client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    execution = start(callback_machine(url))
    sfn.send_task_failure(taskToken=handed_out_token(url), error="Rejected", cause="the reviewer said no")
    done = finished_execution(sfn, execution)
    assert (done["status"], done.get("error"), done.get("cause")) == (
        "FAILED",
        "Rejected",
        "the reviewer said no",
    )


@gap("sfn_task_failure_cause", "SendTaskFailure drops the cause")
def test_sfn_task_failure_cause_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_task_failure_cause()


def test_sfn_task_failure_cause_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_task_failure_cause"):
        check_sfn_task_failure_cause()


# -------------------------------------------------------------------------- sfn_heartbeat_timeout


def check_sfn_heartbeat_timeout() -> None:
    """HeartbeatSeconds 1 and no heartbeat (one real second): States.HeartbeatTimeout."""
    url = client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    done = run(callback_machine(url, HeartbeatSeconds=1, TimeoutSeconds=60))
    assert (done["status"], done.get("error")) == ("FAILED", "States.HeartbeatTimeout")


@gap("sfn_heartbeat_timeout", "a heartbeat expiry fails the task as States.Timeout")
def test_sfn_heartbeat_timeout_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_heartbeat_timeout()


def test_sfn_heartbeat_timeout_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_heartbeat_timeout"):
        check_sfn_heartbeat_timeout()


# ------------------------------------------------------------------------- sfn_integration_shapes


def check_sfn_integration_shapes() -> None:
    """connect-stepfunctions.html: startExecution.sync:2 returns the child's Output as JSON;
    supported-services-awssdk.html: aws-sdk:s3:getObject's Body is the object's text."""
    sfn = client("stepfunctions")
    child = create_state_machine(
        sfn,
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"n": 1}, "End": True}}},
        name="child",
    )
    parent = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"k": 1}},
                "End": True,
            }
        },
    }
    done = run(parent)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"])["Output"] == {"n": 1}
    s3 = client("s3")
    s3.create_bucket(Bucket="shapes")
    s3.put_object(Bucket="shapes", Key="k.txt", Body=b"hello")
    get = {
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": "shapes", "Key": "k.txt"},
                "End": True,
            }
        },
    }
    done = run(get)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"])["Body"] == "hello"


@gap(
    "sfn_integration_shapes",
    "states:startExecution fails in botocore's serializer, a streamed S3 body breaks the output",
)
def test_sfn_integration_shapes_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_integration_shapes()


def test_sfn_integration_shapes_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_integration_shapes"):
        check_sfn_integration_shapes()
