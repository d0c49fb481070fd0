"""What the moto patch tests share: the gap() mark, RecordingHooks and the plain-moto helpers.

Each moto patch of kind "gap" or "speed-up" (orderflow.runtime.moto.REGISTRY) is shown against plain
moto in tests/moto_patches/test_<module>.py, the file named after the module of
src/orderflow/runtime/moto/ that defines it. Per patch ``<name>`` there are two tests sharing one
helper (``check_<name>``) that runs the behaviour AWS has (for a speed-up: the property the speed-up
adds):

* ``test_<name>_gap_in_plain_moto`` runs it on plain moto 5.2.5 (no patch on) and is a strict xfail
  (``@gap(...)`` below): it fails today *because of the gap*. The day it passes, the xfail turns into a
  suite failure ("[XPASS(strict)]"): upstream fixed the gap and the patch can go.
* ``test_<name>_patched`` runs the same helper inside ``REGISTRY.enabled("<name>")`` and passes.

``test_every_gap_and_speed_up_has_both_tests`` (test_registry.py) fails the suite for a registry patch
without its pair, and for a pair whose patch is gone; it looks in every tests/moto_patches/test_*.py.
The fixtures ``moto_aws`` (plain moto) and ``runtime_hooks`` (a RecordingHooks attached as the
runtime) are in conftest.py.

When upgrading moto:

1. ``.venv/bin/pytest tests/moto_patches -q``: every XPASS(strict) names a patch upstream made
   unnecessary (drop it from the registry, then its two tests); every failing ``_patched`` test
   is a patch that no longer fits moto's internals.
2. ``.venv/bin/pytest tests/moto_patches -q --runxfail`` shows why each plain-moto test fails: it must
   still be the gap its reason names, not an error of the test itself. The helpers turn a request
   plain moto refuses into an assertion failure and the xfails accept only AssertionError
   (``raises=``), so an unrelated error (a NameError, a changed import, a fixture refusing to start
   with a patch left on) is reported as a failure, not swallowed as "expected".

Where a patch needs the whole embedded server (the CloudWatch alarm of ``missing_cfn_types`` goes
through a boto3 client to 127.0.0.1:<MOTO_PORT>), the rest is covered on the fixture stack by
tests/runtime/test_runtime_moto_adapter.py.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from orderflow.runtime.moto import REGISTRY

MOTO = "5.2.5"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/patch-tests"
# In-process executions: the ASL interpreter runs StartExecution's state machine (moto's "parser").
SFN_EXECUTES: Any = {"stepfunctions": {"execute_state_machine": True}}
DEADLINE_SECONDS = 10.0


def gap(name: str) -> pytest.MarkDecorator:
    """The strict xfail of a plain-moto test of patch ``name``; its reason is the gap as the
    registry states it (``REGISTRY[name].summary``), said once."""
    what = REGISTRY[name].summary
    return pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=f"moto {MOTO} gap: {what}; when this passes, upstream fixed it: drop patch {name}",
    )


# ------------------------------------------------------------------------------- RecordingHooks


class RecordingHooks:
    """Stands in for the running runtime: records what the patches hand it."""

    def __init__(self, payload: bytes = b"{}") -> None:
        self.payload = payload
        self.invocations: list[tuple[str, Any, str]] = []
        self.stream_records: list[tuple[Any, dict[str, Any]]] = []
        self.execution_events: list[tuple[str, dict[str, Any]]] = []
        self.sns_deliveries: list[tuple[str, str, str]] = []
        self.events_rules: list[tuple[str, str, str | None, int, bool]] = []
        self.request_ids: list[str | None] = []
        self.deliveries: list[Any] = []  # EventBridge's (rule, target) deliveries (event_input.Delivery)

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, None]:
        self.invocations.append((function_name, event, invocation_type))
        self.request_ids.append(request_id)
        return self.payload, None

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        self.stream_records.append((esm, record))

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        self.execution_events.append((kind, execution))

    def sns_delivery(self, topic_arn: str, protocol: str, outcome: str) -> None:
        self.sns_deliveries.append((topic_arn, protocol, outcome))

    def events_rule(
        self, bus_name: str, rule_name: str, event_id: str | None, invoked: int, failed: bool
    ) -> None:
        self.events_rules.append((bus_name, rule_name, event_id, invoked, failed))

    def deliver_events(self, deliveries: list[Any]) -> None:
        self.deliveries.extend(deliveries)


# -------------------------------------------------------------------------------------- helpers


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def streams_client() -> Any:
    # botocore addresses DynamoDB Streams by the ARN's account (<account>.streams-ddb...), a host moto
    # does not intercept; the regional endpoint it does.
    return boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it returns something truthy, for at most DEADLINE_SECONDS."""
    pause = threading.Event()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        pause.wait(0.01)
    raise TimeoutError(f"gave up waiting for {what}")


def finished_execution(sfn: Any, execution_arn: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        execution = sfn.describe_execution(executionArn=execution_arn)
        return execution if execution["status"] != "RUNNING" else None

    return wait_until(done, f"execution {execution_arn}")


def create_state_machine(sfn: Any, definition: dict[str, Any], name: str = "machine") -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"a": 1}, "End": True}}}


def zipped(filename: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(filename, source)
    return buffer.getvalue()


HANDLER = "def handler(event, context):\n    return {'ok': 1}\n"


def create_role() -> None:
    """ROLE_ARN (moto's Lambda refuses a role IAM does not have)."""
    client("iam").create_role(RoleName="patch-tests", AssumeRolePolicyDocument="{}")


def create_function(name: str = "fn") -> str:
    create_role()
    return client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler="app.handler",
        Code={"ZipFile": zipped("app.py", HANDLER)},
    )["FunctionArn"]


def create_stream_table(name: str = "items") -> str:
    """A table with a NEW_AND_OLD_IMAGES stream: its stream ARN."""
    return client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    streams = streams_client()
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def spy_function_invocations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every LambdaFunction.invoke (moto's "run this function now"), recorded instead of run."""
    from moto.awslambda.models import LambdaFunction

    calls: list[Any] = []

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        calls.append((self.function_name, json.loads(body) if body else None))
        return b"{}"

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    return calls


def create_stack(template: dict[str, Any], name: str = "stack") -> dict[str, Any]:
    """CreateStack, as AWS answers it: accepted, whatever its resources then do. The stack."""
    cfn = client("cloudformation")
    try:
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    except (
        ClientError,
        BotoCoreError,
        ResponseParserError,
        KeyError,
    ) as exc:  # plain moto: a resource's error escapes
        raise AssertionError(f"CreateStack raised instead of accepting the template: {exc!r}") from exc
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def stack_resources(name: str = "stack") -> dict[str, dict[str, Any]]:
    resources = client("cloudformation").describe_stack_resources(StackName=name)["StackResources"]
    return {resource["LogicalResourceId"]: resource for resource in resources}


# ------------------------------------------------------------- Step Functions executions


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


# ---------------------------------------------------------- machines and configs of several modules

FAIL_MACHINE = {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}


MOCK_CONFIG = {
    "StateMachines": {"checkout": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
    "MockedResponses": {"ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}}},
}
CHARGE_MACHINE = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge-does-not-exist", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        }
    },
}
