"""Patches of orderflow.runtime.moto.integrations (``sfn_integration_shapes``, ``sfn_heartbeat_timeout``,
``sfn_sync_without_callback``),
shown against plain moto: each gap test is a strict xfail (see support.py), each patched test runs the
same check with the patch on.

The heartbeat case uses ``sqs:sendMessage.waitForTaskToken`` (plain moto runs no Lambda without
Docker).
"""

from __future__ import annotations

import json
import uuid

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    callback_machine,
    client,
    create_state_machine,
    gap,
    run,
)

# -------------------------------------------------------------------------- sfn_heartbeat_timeout


def check_sfn_heartbeat_timeout() -> None:
    """HeartbeatSeconds 1 and no heartbeat (one real second): States.HeartbeatTimeout."""
    url = client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    done = run(callback_machine(url, HeartbeatSeconds=1, TimeoutSeconds=60))
    assert (done["status"], done.get("error")) == ("FAILED", "States.HeartbeatTimeout")


@gap("sfn_heartbeat_timeout")
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


@gap("sfn_integration_shapes")
def test_sfn_integration_shapes_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_integration_shapes()


def test_sfn_integration_shapes_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_integration_shapes"):
        check_sfn_integration_shapes()


# ---------------------------------------------------------------------- sfn_sync_without_callback


def check_sfn_sync_without_callback() -> None:
    """connect-glue.html: glue:startJobRun.sync waits for the job run; the result is GetJobRun's JobRun
    (with the JobName), its timestamps epoch milliseconds."""
    client("glue").create_job(
        Name="etl",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"},
    )
    machine = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": "etl"},
                "End": True,
            }
        },
    }
    done = run(machine)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    output = json.loads(done["output"])
    assert (output["JobName"], output["JobRunState"]) == ("etl", "SUCCEEDED")
    assert isinstance(output["StartedOn"], int)


@gap("sfn_sync_without_callback")
def test_sfn_sync_without_callback_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_sync_without_callback()


def test_sfn_sync_without_callback_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_sync_without_callback"):
        check_sfn_sync_without_callback()
