"""lambda_invoke, lambda_cfn_layers, stream_esm (runtime/moto/awslambda.py): invoking through the runtime,
CloudFormation layers, stream mappings handed to the runtime's poller.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.runtime.model import FunctionThrottled
from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    ACCOUNT,
    HANDLER,
    REGION,
    ROLE_ARN,
    RecordingHooks,
    client,
    create_function,
    create_role,
    create_stack,
    create_stream_table,
    gap,
    spy_function_invocations,
    stack_resources,
    stream_records,
    zipped,
)

# -------------------------------------------------------------------------------- lambda_invoke


def check_lambda_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # this machine may have Docker
    create_function()
    response = client("lambda").invoke(FunctionName="fn", Payload=json.dumps({"x": 1}).encode())
    payload = response["Payload"].read()
    assert "FunctionError" not in response, payload
    assert json.loads(payload) == {"ok": 1}


@gap("lambda_invoke")
def test_lambda_invoke_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_lambda_invoke(monkeypatch)


def test_lambda_invoke_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    with REGISTRY.enabled("lambda_invoke"):
        check_lambda_invoke(monkeypatch)
    assert runtime_hooks.invocations == [("fn", {"x": 1}, "RequestResponse")]


def test_lambda_invoke_patched_throttles_past_reserved_concurrency(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    """The runtime's FunctionThrottled is Lambda's 429 TooManyRequestsException with its Reason (over
    the wire, and so ``Lambda.TooManyRequestsException`` for the ASL, which retries it)."""

    def throttled(
        function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, None]:
        raise FunctionThrottled(function_name, 1)

    monkeypatch.setattr(runtime_hooks, "invoke_function", throttled)
    create_function()
    lam = boto3.client("lambda", region_name=REGION, config=Config(retries={"max_attempts": 1}))
    with REGISTRY.enabled("lambda_invoke"), pytest.raises(ClientError) as error:
        lam.invoke(FunctionName="fn", Payload=b"{}")
    response = error.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


# ---------------------------------------------------------------------------- lambda_cfn_layers


def check_lambda_cfn_layers() -> None:
    create_role()
    s3 = client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="layer.zip", Body=zipped("shared.py", "VALUE = 1\n"))
    s3.put_object(Bucket="code", Key="fn.zip", Body=zipped("app.py", HANDLER))
    template = {
        "Resources": {
            "Layer": {
                "Type": "AWS::Lambda::LayerVersion",
                "Properties": {
                    "LayerName": "shared",
                    "Content": {"S3Bucket": "code", "S3Key": "layer.zip"},
                    "CompatibleRuntimes": ["python3.12"],
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fn",
                    "Runtime": "python3.12",
                    "Handler": "app.handler",
                    "Role": ROLE_ARN,
                    "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
                    "Layers": [{"Ref": "Layer"}],
                },
            },
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    layer_arn = stack_resources()["Layer"].get("PhysicalResourceId")
    assert layer_arn and layer_arn.startswith(f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:"), (
        f"the LayerVersion's physical id (its Ref) is its ARN, got {layer_arn!r}"
    )
    layers = client("lambda").get_function(FunctionName="fn")["Configuration"].get("Layers", [])
    assert [layer["Arn"] for layer in layers] == [layer_arn]


@gap("lambda_cfn_layers")
def test_lambda_cfn_layers_gap_in_plain_moto(moto_aws: None) -> None:
    check_lambda_cfn_layers()


def test_lambda_cfn_layers_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("lambda_cfn_layers"):
        check_lambda_cfn_layers()


# ----------------------------------------------------------------------------------- stream_esm


def check_stream_esm(monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks) -> None:
    stream_arn = create_stream_table()
    function_arn = create_function()
    never = {"Filters": [{"Pattern": json.dumps({"eventName": ["NEVER"]})}]}
    esm_uuid = client("lambda").create_event_source_mapping(
        FunctionName=function_arn,
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        FilterCriteria=never,
    )["UUID"]
    invoked = spy_function_invocations(monkeypatch)
    client("dynamodb").put_item(TableName="items", Item={"pk": {"S": "a"}})
    assert invoked == [], "a mapping whose filter matches nothing invokes nothing (and never inside PutItem)"
    # The record goes to the mapping's own (asynchronous) poller: the runtime's dispatcher here.
    [(esm, record)] = runtime_hooks.stream_records
    assert esm.uuid == esm_uuid
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == stream_arn
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert [r["eventName"] for r in stream_records(stream_arn)] == ["INSERT"], "GetRecords still sees it"


@gap("stream_esm")
def test_stream_esm_gap_in_plain_moto(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    check_stream_esm(monkeypatch, runtime_hooks)


def test_stream_esm_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    with REGISTRY.enabled("stream_esm"):
        check_stream_esm(monkeypatch, runtime_hooks)
