"""Patch ``sfn_lambda_request_id`` (orderflow.runtime.moto.sfn_lambda), and the request id the
``lambda_invoke`` patch gives an invocation: which invocation a ``lambda:invoke`` task attempt was.

On AWS the optimized integration's result nests the Invoke response in its SDK metadata
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html): ``SdkResponseMetadata``
carries the Invoke's ``RequestId`` and ``SdkHttpMetadata.HttpHeaders`` its ``x-amzn-RequestId``. Lambda's
Invoke request id is the invocation's ``context.aws_request_id``, the id on its START/END/REPORT log
lines (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html). Both tests here run with
``lambda_invoke`` on (plain moto needs Docker to invoke at all): the gap is the interpreter's.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    REGION,
    ROLE_ARN,
    RecordingHooks,
    client,
    create_function,
    finished_execution,
    gap,
)

INVOKE_MACHINE = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "fn", "Payload": {"x": 1}},
            "End": True,
        }
    },
}


def task_result(sfn: Any, execution_arn: str) -> dict[str, Any]:
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    [succeeded] = [e for e in events if e["type"] == "TaskSucceeded"]
    return json.loads(succeeded["taskSucceededEventDetails"]["output"])


def check_sfn_lambda_request_id(runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    create_function()
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(
        name="invoker", definition=json.dumps(INVOKE_MACHINE), roleArn=ROLE_ARN
    )
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    assert finished_execution(sfn, arn)["status"] == "SUCCEEDED"
    result = task_result(sfn, arn)
    [request_id] = runtime_hooks.request_ids
    assert result.get("SdkResponseMetadata") == {"RequestId": request_id}, result
    assert result["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert (result["StatusCode"], result["Payload"]) == (200, {"ok": 1})


@gap("sfn_lambda_request_id")
def test_sfn_lambda_request_id_gap_in_plain_moto(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with REGISTRY.enabled("lambda_invoke"):
        check_sfn_lambda_request_id(runtime_hooks, monkeypatch)


def test_sfn_lambda_request_id_patched(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with REGISTRY.enabled("lambda_invoke", "sfn_lambda_request_id"):
        check_sfn_lambda_request_id(runtime_hooks, monkeypatch)


def test_sfn_lambda_request_id_in_process_too(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the in-process Lambda client (the runtime's default) the result is the same."""
    monkeypatch.setattr(runtime_hooks, "lambda_fault", lambda function_name: None, raising=False)
    with REGISTRY.enabled("lambda_invoke", "sfn_inprocess_clients", "sfn_lambda_request_id"):
        check_sfn_lambda_request_id(runtime_hooks, monkeypatch)


def test_lambda_invoke_answers_with_the_invocations_request_id(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Invoke API's request id (x-amzn-RequestId) is the one the invocation ran under, as on AWS;
    moto would stamp a random one of its own."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    create_function()
    lam = boto3.client("lambda", region_name=REGION)
    with REGISTRY.enabled("lambda_invoke"):
        first = lam.invoke(FunctionName="fn", Payload=b"{}")
        second = lam.invoke(FunctionName="fn", Payload=b"{}")
    ids = [first["ResponseMetadata"]["RequestId"], second["ResponseMetadata"]["RequestId"]]
    assert ids == runtime_hooks.request_ids
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)
    assert first["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == ids[0]


# ------------------------------------------------------------------------ sfn_lambda_invocation_type


def check_sfn_lambda_invocation_type(runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    """connect-lambda.html: InvocationType "Event" invokes asynchronously; the result's StatusCode is 202."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    create_function()
    machine = json.loads(json.dumps(INVOKE_MACHINE))
    machine["States"]["Call"]["Parameters"]["InvocationType"] = "Event"
    sfn = client("stepfunctions")
    arn = sfn.create_state_machine(name="async", definition=json.dumps(machine), roleArn=ROLE_ARN)
    execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input="{}")["executionArn"]
    assert finished_execution(sfn, execution)["status"] == "SUCCEEDED"
    assert [kind for _, _, kind in runtime_hooks.invocations] == ["Event"]
    assert task_result(sfn, execution)["StatusCode"] == 202


@gap("sfn_lambda_invocation_type")
def test_sfn_lambda_invocation_type_gap_in_plain_moto(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with REGISTRY.enabled("lambda_invoke"):
        check_sfn_lambda_invocation_type(runtime_hooks, monkeypatch)


def test_sfn_lambda_invocation_type_patched(
    moto_aws: None, runtime_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with REGISTRY.enabled("lambda_invoke", "sfn_lambda_invocation_type"):
        check_sfn_lambda_invocation_type(runtime_hooks, monkeypatch)
