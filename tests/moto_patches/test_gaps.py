"""Each moto patch of kind "gap" or "speed-up" (orderflow.runtime.moto.REGISTRY), shown against plain moto.

Per patch ``<name>`` there are two tests sharing one helper (``check_<name>``) that runs the behaviour
AWS has (for a speed-up: the property the speed-up adds):

* ``test_<name>_gap_in_plain_moto`` runs it on plain moto 5.2.5 (no patch on) and is a strict xfail:
  it fails today *because of the gap*. The day it passes, the xfail turns into a suite failure
  ("[XPASS(strict)]"): upstream fixed the gap and the patch can go.
* ``test_<name>_patched`` runs the same helper inside ``REGISTRY.enabled("<name>")`` and passes.

``test_every_gap_and_speed_up_has_both_tests`` fails the suite for a registry patch without its pair
(looked for here and in the sibling modules tests/moto_patches/test_<module>.py, where newer patches
keep their pair beside their other tests).

When upgrading moto:

1. ``.venv/bin/pytest tests/moto_patches -q``: every XPASS(strict) names a patch upstream made
   unnecessary (drop it from the registry, then its two tests here); every failing ``_patched`` test
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

import copy
import datetime as dt
import importlib
import io
import json
import pickle
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from moto import mock_aws
from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from orderflow.runtime.model import FunctionThrottled
from orderflow.runtime.moto import REGISTRY, hooks, sfn_local_hooks
from orderflow.runtime.moto import ses as moto_ses
from orderflow.runtime.moto import state as moto_state
from orderflow.sfn_local.mock_config import parse_mock_config

MOTO = "5.2.5"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/patch-tests"
# In-process executions: the ASL interpreter runs StartExecution's state machine (moto's "parser").
SFN_EXECUTES: Any = {"stepfunctions": {"execute_state_machine": True}}
DEADLINE_SECONDS = 10.0


def gap(name: str, what: str) -> pytest.MarkDecorator:
    """The strict xfail of a plain-moto test of patch ``name``: ``what`` is the gap, in one line."""
    return pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=f"moto {MOTO} gap: {what}; when this passes, upstream fixed it: drop patch {name}",
    )


# ------------------------------------------------------------------------------------- fixtures


class RecordingHooks:
    """Stands in for the running runtime: records what the patches hand it."""

    def __init__(self, payload: bytes = b"{}") -> None:
        self.payload = payload
        self.invocations: list[tuple[str, Any, str]] = []
        self.stream_records: list[tuple[Any, dict[str, Any]]] = []
        self.execution_events: list[tuple[str, dict[str, Any]]] = []
        self.request_ids: list[str | None] = []

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


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """Plain moto, in-process, with executing Step Functions. Refuses to start with any patch on (a
    RuntimeError, not an AssertionError: the xfails below must not swallow it)."""
    if REGISTRY.active() or hooks.attached():
        raise RuntimeError(f"not plain moto: patches on {REGISTRY.active()}, hooks {hooks.attached()}")
    with mock_aws(config=SFN_EXECUTES):
        yield
    if REGISTRY.active():
        raise RuntimeError(f"a test left patches on: {REGISTRY.active()}")


@pytest.fixture
def runtime_hooks() -> Iterator[RecordingHooks]:
    recorder = RecordingHooks(payload=json.dumps({"ok": 1}).encode())
    hooks.attach(recorder)
    try:
        yield recorder
    finally:
        hooks.detach()


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


# ------------------------------------------------------------------------------ sfn_cfn_backend


def check_sfn_cfn_backend() -> None:
    definition = {
        "StartAt": "Done",
        "States": {"Done": {"Type": "Pass", "Result": {"r": "${Result}"}, "End": True}},
    }
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(definition),
                    "DefinitionSubstitutions": {"Result": "done"},
                    "RoleArn": ROLE_ARN,
                },
            }
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    arn = stack_resources()["Machine"]["PhysicalResourceId"]
    sfn = client("stepfunctions")
    listed = [machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]]
    assert listed == [arn], "the stack's state machine is one the Step Functions API serves"
    described = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    assert "${" not in described
    assert json.loads(described)["States"]["Done"]["Result"] == {"r": "done"}
    execution = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")
    finished = finished_execution(sfn, execution["executionArn"])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"]) == {"r": "done"}


@gap(
    "sfn_cfn_backend",
    "CloudFormation state machines land in the non-executing backend, DefinitionSubstitutions ignored",
)
def test_sfn_cfn_backend_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_cfn_backend()


def test_sfn_cfn_backend_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_cfn_backend"):
        check_sfn_cfn_backend()


# ------------------------------------------------------------------------ sfn_unnamed_execution


def check_sfn_unnamed_execution() -> None:
    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, PASS_MACHINE)

    def start_unnamed() -> str:
        try:
            return sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        except ClientError as exc:  # plain moto: the second "None" may collide with the first
            raise AssertionError(f"an unnamed StartExecution was refused: {exc}") from exc

    first, second = start_unnamed(), start_unnamed()
    assert first != second, "each unnamed execution gets its own name"
    assert not first.endswith(":None")
    for execution_arn in (first, second):
        assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"


@gap("sfn_unnamed_execution", "StartExecution without a name names every execution 'None'")
def test_sfn_unnamed_execution_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_unnamed_execution()


def test_sfn_unnamed_execution_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_unnamed_execution"):
        check_sfn_unnamed_execution()


# ------------------------------------------------------------------------- sfn_finished_threads


def check_sfn_finished_threads() -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, PASS_MACHINE)

    def run(name: str) -> None:
        execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
        assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"
        for thread in list(TMP_THREADS):  # every thread of the execution has finished, not just its status
            thread.join(DEADLINE_SECONDS)

    TMP_THREADS.clear()
    run("first")
    per_execution = len(TMP_THREADS)
    assert per_execution >= 1
    for index in range(3):
        run(f"next-{index}")
    assert len(TMP_THREADS) <= per_execution, (
        f"{len(TMP_THREADS)} threads kept after 4 executions: only the last one's ({per_execution})"
    )


@gap("sfn_finished_threads", "TMP_THREADS keeps every finished execution's threads forever")
def test_sfn_finished_threads_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_finished_threads()


def test_sfn_finished_threads_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_finished_threads"):
        check_sfn_finished_threads()


# ----------------------------------------------------------------------- sfn_express_executions

FAIL_MACHINE = {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}


def create_express_machine(sfn: Any, definition: dict[str, Any], name: str = "fast", **kwargs: Any) -> str:
    return sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN, type="EXPRESS", **kwargs
    )["stateMachineArn"]


def client_error_code(call: Callable[[], Any]) -> str:
    """The error code AWS answers ``call`` with; an AssertionError when it succeeds."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    raise AssertionError("the call succeeded where AWS refuses it")


def check_sfn_express_executions() -> None:
    sfn = client("stepfunctions")
    arn = create_express_machine(sfn, PASS_MACHINE)
    first = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")["executionArn"]
    prefix = f"arn:aws:states:{REGION}:{ACCOUNT}:express:fast:run:"
    assert first.startswith(prefix) and len(first) > len(prefix), first
    second = sfn.start_execution(stateMachineArn=arn, name="run", input='{"other": 1}')["executionArn"]
    assert second != first, "an Express execution name is no idempotency key"
    assert client_error_code(lambda: sfn.describe_execution(executionArn=first)) == "InvalidArn"
    assert client_error_code(lambda: sfn.get_execution_history(executionArn=first)) == "InvalidArn"
    assert (
        client_error_code(lambda: sfn.list_executions(stateMachineArn=arn)) == "StateMachineTypeNotSupported"
    )
    standard = create_state_machine(sfn, PASS_MACHINE, name="slow")
    execution_arn = sfn.start_execution(stateMachineArn=standard, name="run", input="{}")["executionArn"]
    assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED", "STANDARD is unchanged"


@gap("sfn_express_executions", "EXPRESS executions get execution: ARNs and are describable and listable")
def test_sfn_express_executions_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_express_executions()


def test_sfn_express_executions_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_express_executions"):
        check_sfn_express_executions()


# --------------------------------------------------------------------------- sfn_sync_execution


def sync_client() -> Any:
    # botocore sends StartSyncExecution to sync-<endpoint host>: fine on AWS (sync-states.<region>...),
    # not for a local endpoint. The runtime's clients turn the prefix off the same way.
    return boto3.client("stepfunctions", region_name=REGION, config=Config(inject_host_prefix=False))


def start_sync(sfn: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return dict(sfn.start_sync_execution(**kwargs))
    except (ClientError, NotImplementedError) as exc:  # plain moto: "Not yet implemented"
        raise AssertionError(f"StartSyncExecution refused: {exc!r}") from exc


def check_sfn_sync_execution() -> None:
    sfn = sync_client()
    arn = create_express_machine(sfn, PASS_MACHINE)
    done = start_sync(sfn, stateMachineArn=arn, name="run", input='{"in": 1}')
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"a": 1}
    assert json.loads(done["input"]) == {"in": 1}
    assert done["stateMachineArn"] == arn and done["name"] == "run"
    assert done["stopDate"] >= done["startDate"]
    failing = create_express_machine(sfn, FAIL_MACHINE, name="failing")
    failed = start_sync(sfn, stateMachineArn=failing, input="{}")
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Boom", "why"), failed
    assert "output" not in failed
    standard = create_state_machine(sfn, PASS_MACHINE, name="slow")
    refused = client_error_code(lambda: sfn.start_sync_execution(stateMachineArn=standard, input="{}"))
    assert refused == "StateMachineTypeNotSupported"


@gap("sfn_sync_execution", "StartSyncExecution answers 'Not yet implemented'")
def test_sfn_sync_execution_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_sync_execution()


def test_sfn_sync_execution_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_sync_execution"):
        check_sfn_sync_execution()


def test_sfn_sync_execution_runs_a_mock_config_test_case(moto_aws: None) -> None:
    """<arn>#<TestCase> works for StartSyncExecution as for StartExecution, express ARN and all."""
    sfn_local_hooks.set_mock_config(parse_mock_config(json.dumps(MOCK_CONFIG)))
    try:
        with REGISTRY.enabled("sfn_sync_execution", "sfn_express_executions", "sfn_mock_config"):
            sfn = sync_client()
            arn = create_express_machine(sfn, CHARGE_MACHINE, name="checkout")
            done = start_sync(sfn, stateMachineArn=f"{arn}#HappyPath", name="run", input="{}")
            assert done["status"] == "SUCCEEDED", done
            assert json.loads(done["output"]) == {"charged": True}
            assert done["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:checkout:run:")
            unmocked = start_sync(sfn, stateMachineArn=arn, input="{}")
            assert unmocked["status"] == "FAILED", "without the test case the missing function is called"
    finally:
        sfn_local_hooks.set_mock_config(None)


# --------------------------------------------------------------------------- sfn_execution_logs


def log_group_arn(name: str) -> str:
    logs = client("logs")
    logs.create_log_group(logGroupName=name)
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return str(group["arn"])


def logging(group_arn: str, level: str, include_data: bool) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": include_data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }


def logged(group: str) -> list[dict[str, Any]]:
    """The JSON records of the group's log streams, read once every execution thread has ended (the
    events are written by the execution's own thread, before it ends: no polling)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    for thread in list(TMP_THREADS):
        thread.join(DEADLINE_SECONDS)
    events = client("logs").filter_log_events(logGroupName=group)["events"]
    return sorted((json.loads(event["message"]) for event in events), key=lambda r: int(r["id"]))


def check_sfn_execution_logs() -> None:
    sfn = client("stepfunctions")
    everything = "/aws/vendedlogs/states/all"
    arn = sfn.create_state_machine(
        name="logged",
        definition=json.dumps(PASS_MACHINE),
        roleArn=ROLE_ARN,
        loggingConfiguration=logging(log_group_arn(everything), "ALL", True),
    )["stateMachineArn"]
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="run", input='{"in": 1}')["executionArn"]
    assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"
    records = logged(everything)
    assert [r["type"] for r in records] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [r["id"] for r in records] == ["1", "2", "3", "4"]
    history = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert [r["previous_event_id"] for r in records] == [str(e["previousEventId"]) for e in history]
    assert {r["execution_arn"] for r in records} == {execution_arn}
    assert all(r["event_timestamp"].isdigit() and r["redrive_count"] == "0" for r in records)
    assert json.loads(records[0]["details"]["input"]) == {"in": 1}
    assert json.loads(records[-1]["details"]["output"]) == {"a": 1}

    errors_only = "/aws/vendedlogs/states/errors"
    failing = sfn.create_state_machine(
        name="failing",
        definition=json.dumps(FAIL_MACHINE),
        roleArn=ROLE_ARN,
        loggingConfiguration=logging(log_group_arn(errors_only), "ERROR", False),
    )["stateMachineArn"]
    failed_arn = sfn.start_execution(stateMachineArn=failing, name="run", input='{"secret": 1}')[
        "executionArn"
    ]
    assert finished_execution(sfn, failed_arn)["status"] == "FAILED"
    records = logged(errors_only)
    assert [r["type"] for r in records] == ["FailStateEntered", "ExecutionFailed"]
    assert all("input" not in r.get("details", {}) for r in records), "includeExecutionData false"
    assert records[-1]["details"]["error"] == "Boom"


@gap("sfn_execution_logs", "no execution event ever reaches the state machine's log group")
def test_sfn_execution_logs_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_execution_logs()


def test_sfn_execution_logs_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_execution_logs"):
        check_sfn_execution_logs()


# -------------------------------------------------------------------------- sfn_execution_events


def check_sfn_execution_events(runtime_hooks: RecordingHooks) -> None:
    """Step Functions records AWS/States metrics per execution start and end: the runtime (which
    records them) must learn of both, with the end's status, error and duration."""
    sfn = client("stepfunctions")
    failing = create_state_machine(sfn, FAIL_MACHINE, name="failing")
    arn = sfn.start_execution(stateMachineArn=failing, name="run", input="{}")["executionArn"]
    # the start is told inside StartExecution, before it answers (the end may already follow: the
    # machine fails at once, on the execution's own thread)
    assert [kind for kind, _ in runtime_hooks.execution_events][:1] == ["started"], (
        runtime_hooks.execution_events
    )
    assert finished_execution(sfn, arn)["status"] == "FAILED"
    ended = wait_until(
        lambda: [e for kind, e in runtime_hooks.execution_events if kind == "ended"], "the execution's end"
    )
    kinds = [kind for kind, _ in runtime_hooks.execution_events]
    assert kinds == ["started", "ended"], kinds
    [end] = ended
    assert (end["executionArn"], end["stateMachineArn"], end["status"]) == (arn, failing, "FAILED")
    assert (end["error"], end["cause"]) == ("Boom", "why")
    assert end["durationMs"] is not None and end["durationMs"] >= 0


@gap("sfn_execution_events", "nothing learns of an execution's start and end (no AWS/States metrics)")
def test_sfn_execution_events_gap_in_plain_moto(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_sfn_execution_events(runtime_hooks)


def test_sfn_execution_events_patched(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    with REGISTRY.enabled("sfn_execution_events"):
        check_sfn_execution_events(runtime_hooks)


# ------------------------------------------------------------------------------ sfn_mock_config

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


def check_sfn_mock_config() -> None:
    """Step Functions Local's <arn>#<TestCase>: the mocked response instead of calling Lambda."""
    sfn_local_hooks.set_mock_config(parse_mock_config(json.dumps(MOCK_CONFIG)))
    try:
        sfn = client("stepfunctions")
        arn = create_state_machine(sfn, CHARGE_MACHINE, name="checkout")
        try:
            execution_arn = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name="run", input="{}")[
                "executionArn"
            ]
        except ClientError as exc:
            raise AssertionError(f"StartExecution on <arn>#HappyPath refused: {exc}") from exc
        assert execution_arn == f"{arn.replace(':stateMachine:', ':execution:')}:run"
        finished = finished_execution(sfn, execution_arn)
        assert finished["status"] == "SUCCEEDED", finished
        assert json.loads(finished["output"]) == {"charged": True}
    finally:
        sfn_local_hooks.set_mock_config(None)


@gap("sfn_mock_config", "nothing feeds a mock config to the interpreter: <arn>#<TestCase> is refused")
def test_sfn_mock_config_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_mock_config()


def test_sfn_mock_config_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_mock_config"):
        check_sfn_mock_config()


# ------------------------------------------------------------------------ sfn_inprocess_clients


def check_sfn_inprocess_clients() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    first = lambda_eval_utils.boto_client_for(REGION, "sqs")
    assert lambda_eval_utils.boto_client_for(REGION, "sqs") is first, "one client per (region, service)"


@gap("sfn_inprocess_clients", "the ASL interpreter builds a new boto3 client for every task")
def test_sfn_inprocess_clients_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_inprocess_clients()


def test_sfn_inprocess_clients_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_inprocess_clients"):
        check_sfn_inprocess_clients()


# ------------------------------------------------------------------------------ sfn_parse_cache


def check_sfn_parse_cache() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = json.dumps(PASS_MACHINE)
    assert AmazonStateLanguageParser.parse(definition) is AmazonStateLanguageParser.parse(definition)


@gap("sfn_parse_cache", "every execution re-parses its definition with the ANTLR parser")
def test_sfn_parse_cache_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_parse_cache()


def test_sfn_parse_cache_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_parse_cache"):
        check_sfn_parse_cache()


# --------------------------------------------------------------------------- sfn_jsonpath_cache


def check_sfn_jsonpath_cache() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    assert json_path.parse("$.a") is json_path.parse("$.a")


@gap("sfn_jsonpath_cache", "every JSONPath evaluation builds a parser and re-parses the path")
def test_sfn_jsonpath_cache_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_jsonpath_cache()


def test_sfn_jsonpath_cache_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_jsonpath_cache"):
        check_sfn_jsonpath_cache()


# -------------------------------------------------------------------------------- sfn_json_copy


def check_sfn_json_copy() -> None:
    from moto.stepfunctions.parser.asl.eval import states

    assert states.copy.deepcopy is not copy.deepcopy, "JSON documents are copied without deepcopy's memo"
    document: dict[str, Any] = {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True}
    copied: Any = states.copy.deepcopy(document)
    assert copied == document
    copied["a"][1]["b"] = "changed"
    copied["a"].append(2)
    assert document == {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True}, "the copy is independent"


@gap("sfn_json_copy", "the interpreter copies every state's data with copy.deepcopy")
def test_sfn_json_copy_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_json_copy()


def test_sfn_json_copy_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_json_copy"):
        check_sfn_json_copy()


# ------------------------------------------------------------------------ dynamodb_transactions


def check_dynamodb_transactions(monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks) -> None:
    from moto.dynamodb.models.table import Table

    stream_arn = create_stream_table()
    function_arn = create_function()
    client("lambda").create_event_source_mapping(
        FunctionName=function_arn, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON"
    )
    invoked = spy_function_invocations(monkeypatch)
    table_copies: list[str] = []
    original_reduce = Table.__reduce_ex__

    def reduce_ex(self: Any, protocol: Any) -> Any:  # what copy.deepcopy(table) calls: a real copy
        table_copies.append(self.name)
        return original_reduce(self, protocol)

    monkeypatch.setattr(Table, "__reduce_ex__", reduce_ex)

    def deliveries() -> list[Any]:  # moto's synchronous invoke, or the runtime's dispatcher
        return invoked + runtime_hooks.stream_records

    dynamodb = client("dynamodb")
    cancelled = [
        {"Put": {"TableName": "items", "Item": {"pk": {"S": "new"}}}},
        {
            "ConditionCheck": {
                "TableName": "items",
                "Key": {"pk": {"S": "absent"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=cancelled)
    assert dynamodb.scan(TableName="items")["Items"] == []
    assert stream_records(stream_arn) == []
    assert (deliveries(), table_copies) == ([], []), (
        "a cancelled transaction's writes reach no function, and no table is copied whole for it"
    )

    dynamodb.transact_write_items(TransactItems=cancelled[:1])
    assert len(deliveries()) == 1, "a committed transaction's record is delivered once"
    assert [record["eventName"] for record in stream_records(stream_arn)] == ["INSERT"]
    assert table_copies == []


@gap(
    "dynamodb_transactions",
    "TransactWriteItems deep-copies whole tables and a cancelled transaction's writes reach Lambda",
)
def test_dynamodb_transactions_gap_in_plain_moto(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    check_dynamodb_transactions(monkeypatch, runtime_hooks)


def test_dynamodb_transactions_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    # The journal (no table copies) is this patch alone. Holding stream records until the commit applies
    # to the records stream_esm routes: without stream_esm moto invokes inside the Put itself (that
    # patch's own gap, shown below), so both are on here.
    with REGISTRY.enabled("dynamodb_transactions", "stream_esm"):
        check_dynamodb_transactions(monkeypatch, runtime_hooks)


# -------------------------------------------------------------------------------- lambda_invoke


def check_lambda_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # this machine may have Docker
    create_function()
    response = client("lambda").invoke(FunctionName="fn", Payload=json.dumps({"x": 1}).encode())
    payload = response["Payload"].read()
    assert "FunctionError" not in response, payload
    assert json.loads(payload) == {"ok": 1}


@gap("lambda_invoke", "invoking a function needs Docker (without it: FunctionError and a docker message)")
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


@gap("lambda_cfn_layers", "CloudFormation functions drop Layers; a LayerVersion has no ARN physical id")
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


@gap("stream_esm", "stream mappings invoke inside the writing request and ignore FilterCriteria")
def test_stream_esm_gap_in_plain_moto(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    check_stream_esm(monkeypatch, runtime_hooks)


def test_stream_esm_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: RecordingHooks
) -> None:
    with REGISTRY.enabled("stream_esm"):
        check_stream_esm(monkeypatch, runtime_hooks)


# --------------------------------------------------------------------------------- rest_api_cfn


def check_rest_api_cfn() -> None:
    body = {
        "swagger": "2.0",
        "info": {"title": "orders-api", "version": "1"},
        "paths": {
            "/orders": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn/invocations",
                    }
                }
            }
        },
    }
    template = {"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}}
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    api_id = stack_resources()["Api"]["PhysicalResourceId"]
    apigateway = client("apigateway")
    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "orders-api", "named by info.title"
    resources = {r["path"]: r for r in apigateway.get_resources(restApiId=api_id)["items"]}
    assert "/orders" in resources
    assert "GET" in resources["/orders"].get("resourceMethods", {})


@gap("rest_api_cfn", "AWS::ApiGateway::RestApi requires Name and ignores Body")
def test_rest_api_cfn_gap_in_plain_moto(moto_aws: None) -> None:
    check_rest_api_cfn()


def test_rest_api_cfn_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("rest_api_cfn"):
        check_rest_api_cfn()


# ---------------------------------------------------------------------------- missing_cfn_types


def check_missing_cfn_types() -> None:
    # AWS::CloudWatch::Alarm is created through a boto3 client to the embedded server
    # (127.0.0.1:<MOTO_PORT>), which in-process moto does not run: tests/runtime/
    # test_runtime_moto_adapter.py covers it on the fixture stack.
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
            "Get": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "HttpMethod": "GET",
                    "AuthorizationType": "NONE",
                    "Integration": {
                        "Type": "MOCK",
                        "IntegrationHttpMethod": "POST",
                        "Uri": "http://example.com",
                    },
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "DependsOn": "Get",
                "Properties": {"RestApiId": {"Ref": "Api"}},
            },
            "Stage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "DeploymentId": {"Ref": "Deployment"},
                    "StageName": "live",
                },
            },
            "Sender": {
                "Type": "AWS::SES::EmailIdentity",
                "Properties": {"EmailIdentity": "shop@example.com"},
            },
            "Filter": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": "group",
                    "FilterPattern": "ERROR",
                    "MetricTransformations": [
                        {"MetricName": "errors", "MetricNamespace": "app", "MetricValue": "1"}
                    ],
                },
            },
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    api_id = client("apigateway").get_rest_apis()["items"][0]["id"]
    stages = client("apigateway").get_stages(restApiId=api_id)["item"]
    assert [stage["stageName"] for stage in stages] == ["live"]
    ses = client("ses")
    assert "shop@example.com" in ses.list_identities()["Identities"]
    attributes = ses.get_identity_verification_attributes(Identities=["shop@example.com"])
    assert attributes["VerificationAttributes"]["shop@example.com"]["VerificationStatus"] == "Success"
    resources = stack_resources()
    assert set(resources) == {"Api", "Get", "Deployment", "Stage", "Sender", "Filter"}
    assert resources["Stage"]["PhysicalResourceId"] == "live"
    assert resources["Sender"]["PhysicalResourceId"] == "shop@example.com"
    assert resources["Deployment"]["PhysicalResourceId"] == stages[0]["deploymentId"]
    assert all(resource.get("PhysicalResourceId") for resource in resources.values()), resources


@gap(
    "missing_cfn_types",
    "no CloudFormation support for ApiGateway::Stage, SES::EmailIdentity (skipped) or unknown types",
)
@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")  # moto's own note of the gap
def test_missing_cfn_types_gap_in_plain_moto(moto_aws: None) -> None:
    check_missing_cfn_types()


def test_missing_cfn_types_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("missing_cfn_types"):
        check_missing_cfn_types()


# -------------------------------------------------------------------------------- stack_failure


def check_stack_failure() -> None:
    create_role()
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fn",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": ROLE_ARN,
                    "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue",
                },
            },
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_FAILED"
    events = client("cloudformation").describe_stack_events(StackName="stack")["StackEvents"]
    reasons = [
        event.get("ResourceStatusReason", "")
        for event in events
        if event["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert any(
        reason.startswith("resource Mapping (AWS::Lambda::EventSourceMapping) failed: ") for reason in reasons
    ), reasons


@gap("stack_failure", "a failing resource escapes CreateStack as an error and leaves CREATE_IN_PROGRESS")
def test_stack_failure_gap_in_plain_moto(moto_aws: None) -> None:
    check_stack_failure()


def test_stack_failure_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("stack_failure"):
        check_stack_failure()


# ---------------------------------------------------------------------------------- ses_sent_at


def check_ses_sent_at() -> None:
    ses = client("ses")
    ses.verify_email_identity(EmailAddress="shop@example.com")
    before = dt.datetime.now(dt.UTC)
    ses.send_email(
        Source="shop@example.com",
        Destination={"ToAddresses": ["customer@example.com"]},
        Message={"Subject": {"Data": "Order"}, "Body": {"Text": {"Data": "Thanks"}}},
    )
    after = dt.datetime.now(dt.UTC)
    [message] = moto_ses.sent_messages(ACCOUNT, REGION)
    sent = moto_ses.sent_at(message)
    assert sent is not None, "each accepted message has its send time"
    assert sent.utcoffset() == dt.timedelta(0)
    assert before <= sent <= after


@gap("ses_sent_at", "SES keeps sent messages without the time they were accepted")
def test_ses_sent_at_gap_in_plain_moto(moto_aws: None) -> None:
    check_ses_sent_at()


def test_ses_sent_at_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("ses_sent_at"):
        check_ses_sent_at()


# ---------------------------------------------------------------------------- iam_role_sessions

TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def session_client(service: str, role_arn: str, session_name: str = "fn") -> Any:
    """A client signed with a fresh session of ``role_arn`` (as Lambda gives a function)."""
    credentials = client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def simple_table(name: str) -> str:
    return client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]


def check_iam_role_sessions() -> None:
    allowed_arn = simple_table("allowed")
    simple_table("other")
    iam = client("iam")
    role_arn = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": allowed_arn}],
    }
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(policy))
    session = session_client("dynamodb", role_arn)
    key = {"pk": {"S": "k"}}
    session.get_item(TableName="allowed", Key=key)  # scoped to its table ARN: allowed
    try:
        session.get_item(TableName="other", Key=key)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDeniedException"
        message = exc.response["Error"]["Message"]
        assert message == (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/fn is not authorized to perform: "
            "dynamodb:GetItem "
            f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other because no identity-based policy "
            "allows the dynamodb:GetItem action"
        ), message
    else:
        raise AssertionError("a role session read a table its policy does not name")
    # a transaction is authorised per item: PutItem on "allowed" is not granted
    try:
        session.transact_write_items(TransactItems=[{"Put": {"TableName": "allowed", "Item": key}}])
    except ClientError as exc:
        assert "dynamodb:PutItem on resource: " + allowed_arn in exc.response["Error"]["Message"]
    else:
        raise AssertionError("a transaction's Put ran without dynamodb:PutItem")
    assert "Item" not in client("dynamodb").get_item(TableName="allowed", Key=key)
    # any other key (made-up credentials) is the account's administrator
    client("dynamodb").delete_table(TableName="other")


@gap(
    "iam_role_sessions",
    "a role session is not evaluated (IAM is off, or on for every key against resource '*', "
    "no per-item transaction actions)",
)
def test_iam_role_sessions_gap_in_plain_moto(moto_aws: None) -> None:
    check_iam_role_sessions()


def test_iam_role_sessions_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions"):
        check_iam_role_sessions()


# --------------------------------------------------------------------- iam_cfn_managed_policies

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def check_iam_cfn_managed_policies() -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.loads(TRUST_LAMBDA),
                    "ManagedPolicyArns": [BASIC_EXECUTION],
                },
            }
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    name = stack_resources()["Role"]["PhysicalResourceId"]
    iam = client("iam")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    assert attached == [BASIC_EXECUTION]
    policy = iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]
    document = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId=policy["DefaultVersionId"])
    statement = document["PolicyVersion"]["Document"]["Statement"][0]
    assert statement["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@gap(
    "iam_cfn_managed_policies",
    "an AWS::IAM::Role's ManagedPolicyArns are ignored; AWS-managed policies are not loaded",
)
def test_iam_cfn_managed_policies_gap_in_plain_moto(moto_aws: None) -> None:
    check_iam_cfn_managed_policies()


def test_iam_cfn_managed_policies_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_cfn_managed_policies"):
        check_iam_cfn_managed_policies()


# -------------------------------------------------------------------------------- sfn_task_role

TRUST_STATES = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def check_sfn_task_role() -> None:
    sqs = client("sqs")
    allowed = sqs.create_queue(QueueName="allowed")["QueueUrl"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    allowed_arn = sqs.get_queue_attributes(QueueUrl=allowed, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    iam = client("iam")
    role_arn = iam.create_role(RoleName="machine", AssumeRolePolicyDocument=TRUST_STATES)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": allowed_arn}],
    }
    iam.put_role_policy(RoleName="machine", PolicyName="send", PolicyDocument=json.dumps(policy))
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": other, "MessageBody": "hi"},
                "End": True,
            }
        },
    }
    sfn = client("stepfunctions")
    arn = sfn.create_state_machine(name="sender", definition=json.dumps(definition), roleArn=role_arn)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")
    finished = finished_execution(sfn, execution["executionArn"])
    assert finished["status"] == "FAILED", "the state machine's role does not allow sending to that queue"
    assert "is not authorized to perform: sqs:SendMessage" in finished.get("cause", ""), finished
    assert "Messages" not in sqs.receive_message(QueueUrl=other)


@gap("sfn_task_role", "the ASL interpreter's service integrations ignore the state machine's role")
def test_sfn_task_role_gap_in_plain_moto(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions"):  # without evaluation nothing could tell the role apart
        check_sfn_task_role()


def test_sfn_task_role_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions", "sfn_task_role"):
        check_sfn_task_role()


# ---------------------------------------------------------------- sqs_pickle, lambda_pickle, sfn_pickle


def round_trip(backend: Any) -> Any:
    """``backend`` pickled and loaded again (what orderflow up's state dir keeps across a restart);
    a backend plain pickle refuses is an assertion failure."""
    try:
        data = pickle.dumps(backend, protocol=pickle.HIGHEST_PROTOCOL)
    except (TypeError, AttributeError, pickle.PicklingError) as exc:
        raise AssertionError(f"moto's {type(backend).__name__} cannot be pickled: {exc}") from exc
    return pickle.loads(data)


def check_kms_pickle() -> None:
    kms = client("kms")
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=key_id, Message=b"kept", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    restored = round_trip(kms_backends[ACCOUNT][REGION])
    key = restored.describe_key(key_id)
    assert key.private_key.verify(b"kept", signature, "RSASSA_PSS_SHA_256"), "the same private key"


@gap("kms_pickle", "a KMS key's private key is a cryptography object, so moto's KMS state cannot be pickled")
def test_kms_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_kms_pickle()


def test_kms_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("kms_pickle"):
        check_kms_pickle()


def check_dynamodb_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"pk": {"S": "a"}, **{f"a{i}": {"S": "x" * 10} for i in range(20)}}
    ddb.put_item(TableName="kept", Item=item)
    data = pickle.dumps(dynamodb_backends[ACCOUNT][REGION])
    checks = []
    original = LimitedSizeDict.__setitem__
    monkeypatch.setattr(
        LimitedSizeDict,
        "__setitem__",
        lambda self, key, value: checks.append(key) or original(self, key, value),
    )
    restored = pickle.loads(data)
    [kept] = restored.get_table("kept").all_items()
    assert kept.to_json()["Attributes"] == item
    assert checks == [], f"loading re-checked the item's size at each of its {len(checks)} attributes"


@gap("dynamodb_pickle", "loading an item re-sums its size at every attribute (quadratic)")
def test_dynamodb_pickle_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_dynamodb_pickle(monkeypatch)


def test_dynamodb_pickle_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("dynamodb_pickle"):
        check_dynamodb_pickle(monkeypatch)


def check_sqs_pickle() -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="survives")
    restored = round_trip(sqs_backends[ACCOUNT][REGION])
    queue = restored.get_queue("kept")
    assert [m.body for m in queue.messages] == ["survives"]
    with queue._messages_lock:  # a working lock of its own
        queue._messages_lock.notify_all()


@gap("sqs_pickle", "an SQS queue holds a threading.Condition, so moto's SQS state cannot be pickled")
def test_sqs_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_sqs_pickle()


def test_sqs_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sqs_pickle"):
        check_sqs_pickle()


def check_lambda_pickle() -> None:
    arn = create_function("kept")
    restored = round_trip(lambda_backends[ACCOUNT][REGION])
    assert restored.get_function(arn).function_name == "kept", "found again by its ARN"
    assert restored.get_function("kept").function_arn == arn


@gap("lambda_pickle", "Lambda's stores index functions in a WeakValueDictionary and alias via a lambda")
def test_lambda_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_lambda_pickle()


def test_lambda_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("lambda_pickle"):
        check_lambda_pickle()


WAITING_MACHINE = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def check_sfn_pickle() -> None:
    sfn = client("stepfunctions")
    done_arn = sfn.start_execution(stateMachineArn=create_state_machine(sfn, PASS_MACHINE), input="{}")[
        "executionArn"
    ]
    finished_execution(sfn, done_arn)
    waiting = create_state_machine(sfn, WAITING_MACHINE, name="waiting")
    running_arn = sfn.start_execution(stateMachineArn=waiting, input="{}")["executionArn"]
    wait_until(
        lambda: len(sfn.get_execution_history(executionArn=running_arn)["events"]) >= 2, "the Wait entered"
    )
    history = sfn.get_execution_history(executionArn=done_arn)["events"]
    restored = round_trip(stepfunctions_parser_backends[ACCOUNT][REGION])
    done = restored.describe_execution(done_arn)
    assert done.status == "SUCCEEDED"
    assert [e["type"] for e in done.to_history_output()["events"]] == [e["type"] for e in history]
    running = restored.describe_execution(running_arn)
    assert running.status == "RUNNING", "kept RUNNING, with its history, to be resumed (sfn_resume)"
    assert isinstance(running.exec_worker, moto_state.SavedWorker)
    assert [e["type"] for e in running.to_history_output()["events"]][:2] == [
        "ExecutionStarted",
        "WaitStateEntered",
    ]
    sfn.stop_execution(executionArn=running_arn)


@gap("sfn_pickle", "an execution's history lives in its worker (threads, locks): it cannot be pickled")
def test_sfn_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_pickle()


def test_sfn_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_pickle"):
        check_sfn_pickle()


# ------------------------------------------------------------------------------------- coverage


def patch_test_modules() -> list[Any]:
    """This module and its siblings tests/moto_patches/test_<module>.py (newer patches' pairs live there)."""
    package = __name__.rpartition(".")[0]
    siblings = sorted(
        path.stem for path in Path(__file__).parent.glob("test_*.py") if path.stem != "test_gaps"
    )
    return [sys.modules[__name__]] + [importlib.import_module(f"{package}.{stem}") for stem in siblings]


def patch_test(name: str) -> Any:
    found = [
        getattr(module, name) for module in patch_test_modules() if callable(getattr(module, name, None))
    ]
    assert len(found) <= 1, f"{name} is defined in more than one module"
    return found[0] if found else None


def test_every_gap_and_speed_up_has_both_tests() -> None:
    covered = [patch for patch in REGISTRY if patch.kind in ("gap", "speed-up")]
    assert covered, "the registry declares gaps"
    missing = []
    for patch in covered:
        plain = patch_test(f"test_{patch.name}_gap_in_plain_moto")
        patched = patch_test(f"test_{patch.name}_patched")
        if not callable(plain) or not callable(patched):
            missing.append(patch.name)
            continue
        [mark] = [mark for mark in getattr(plain, "pytestmark", []) if mark.name == "xfail"]
        assert mark.kwargs["strict"] is True, patch.name
        assert mark.kwargs["raises"] is AssertionError, patch.name
        assert mark.kwargs["reason"].startswith(f"moto {MOTO} gap: "), patch.name
        assert mark.kwargs["reason"].endswith(f"drop patch {patch.name}"), patch.name
        assert not [m for m in getattr(patched, "pytestmark", []) if m.name == "xfail"], patch.name
    assert missing == [], f"patches without test_<name>_gap_in_plain_moto and test_<name>_patched: {missing}"
    # and no test here for a patch that is gone (or is not a gap/speed-up)
    names = {patch.name for patch in covered}
    orphans = [
        attr
        for module in patch_test_modules()
        for attr in dir(module)
        if attr.startswith("test_")
        and attr.endswith(("_gap_in_plain_moto", "_patched"))
        and attr.removeprefix("test_").removesuffix("_gap_in_plain_moto").removesuffix("_patched")
        not in names
    ]
    assert orphans == [], f"tests of patches the registry no longer has: {orphans}"
