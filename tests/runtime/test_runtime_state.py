"""State that survives a restart (``Runtime(persist=True)``, ``orderflow up --state-dir``).

The fixture app is started, used, stopped and started again on the same state dir, in this process;
the crash test runs the real ``orderflow up`` as a process and SIGKILLs it after a snapshot it asked
for (no timing: the snapshot is a request that returns once the file is written).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from orderflow.cli import CONSOLE_PORT, main
from orderflow.discovery import find_record
from orderflow.runtime import Runtime, RuntimeStartError
from orderflow.runtime import moto as moto_layer
from orderflow.runtime.moto import state as moto_state
from orderflow.runtime.patch_hooks import RuntimeHooks
from tests.runtime.runtime_support import FIXTURE_TEMPLATE, free_port, run_execution, wait_execution
from tests.support.ports import later_port

ROOT = Path(__file__).resolve().parents[2]

TABLE_ONLY = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
Outputs:
  ItemsTableName:
    Value: !Ref ItemsTable
"""


def boot(template: Path, state_dir: Path, **kwargs: Any) -> Runtime:
    runtime = Runtime(
        template,
        stack_name="kept",
        aws_port=free_port(),
        api_port=free_port(),
        state_dir=state_dir,
        persist=True,
        snapshot_interval=None,
        **kwargs,
    )
    runtime.start()
    return runtime


def describe(runtime: Any) -> dict[str, Any]:
    """What a restart must keep, read through the public APIs."""
    ddb, sqs, logs = runtime.client("dynamodb"), runtime.client("sqs"), runtime.client("logs")
    cfn = runtime.client("cloudformation")
    attributes = sqs.get_queue_attributes(
        QueueUrl=runtime.outputs["FailuresQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    return {
        "outputs": runtime.outputs,
        "resources": runtime.resources,
        "stack_id": cfn.describe_stacks(StackName=runtime.stack_name)["Stacks"][0]["StackId"],
        "items": sorted(
            json.dumps(item, sort_keys=True)
            for item in ddb.scan(TableName=runtime.outputs["ItemsTableName"])["Items"]
        ),
        "messages": attributes["Attributes"]["ApproximateNumberOfMessages"],
        "mails": [(m["to"], m["subject"], m["message_id"]) for m in runtime.outbox()],
        "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
        "log_events": [
            e["message"] for e in logs.get_log_events(logGroupName="/kept", logStreamName="s")["events"]
        ],
        # the EXPRESS state machine's execution log (its executions are not kept: not describable)
        "express_log": [
            e["message"]
            for e in logs.filter_log_events(logGroupName=runtime.resources["FastWorkflowLogs"])["events"]
        ],
    }


@pytest.fixture
def held_invocations(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[threading.Event, threading.Semaphore]]:
    """Lambda invocations of the runtime started next wait at a gate (their execution stays RUNNING)."""
    gate, arrived = threading.Event(), threading.Semaphore(0)
    original = RuntimeHooks.invoke_function

    def held(
        hooks: RuntimeHooks,
        function_name: str,
        event: Any,
        invocation_type: str,
        request_id: str | None = None,
    ) -> Any:
        arrived.release()
        gate.wait(15)
        return original(hooks, function_name, event, invocation_type, request_id)

    monkeypatch.setattr(RuntimeHooks, "invoke_function", held)
    yield gate, arrived
    gate.set()


def test_a_restart_keeps_items_messages_mails_executions_histories_and_physical_names(
    tmp_path: Path, held_invocations: tuple[threading.Event, threading.Semaphore]
) -> None:
    gate, arrived = held_invocations
    first = boot(FIXTURE_TEMPLATE, tmp_path)
    try:
        assert first.restored is None and first.stack_action == "create"
        first.client("dynamodb").put_item(
            TableName=first.outputs["ItemsTableName"],
            Item={"id": {"S": "a"}, "kind": {"S": "keep"}, "email": {"S": "a@example.com"}},
        )
        assert first.wait_for_streams()  # the stream function mailed a@example.com
        sfn = first.client("stepfunctions")
        gate.set()
        done = run_execution(sfn, first.outputs["WorkflowArn"], {"name": "done"}, name="done")
        assert done["status"] == "SUCCEEDED"
        history = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
        express = boto3.client(
            "stepfunctions",
            endpoint_url=first.endpoint_url,
            region_name=first.region,
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(inject_host_prefix=False),
        )  # an execution with a log-group session (a lock, a wrapped start) in moto's state
        rejected = express.start_sync_execution(
            stateMachineArn=first.outputs["FastWorkflowArn"], input=json.dumps({"raise": "gadget"})
        )
        assert json.loads(rejected["output"])["reason"] == "OutOfStock"
        gate.clear()
        running = sfn.start_execution(stateMachineArn=first.outputs["WorkflowArn"], name="cut", input="{}")
        assert arrived.acquire(timeout=15)  # its first task waits at the gate: certainly RUNNING
        first.client("sqs").send_message(QueueUrl=first.outputs["FailuresQueueUrl"], MessageBody="kept")
        logs = first.client("logs")
        logs.create_log_group(logGroupName="/kept")
        logs.create_log_stream(logGroupName="/kept", logStreamName="s")
        logs.put_log_events(
            logGroupName="/kept",
            logStreamName="s",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "kept line"}],
        )
        before = describe(first)
        assert before["items"] and before["mails"] and before["messages"] == "1"
        assert before["log_events"] == ["kept line"]
        assert len(before["express_log"]) == 1
    finally:
        first.stop()
    gate.set()
    assert (tmp_path / "aws-state").is_file()
    assert (tmp_path / "aws-state").stat().st_mode & 0o777 == 0o600

    second = boot(FIXTURE_TEMPLATE, tmp_path)
    try:
        assert second.restored is not None and second.stack_action == "restore"
        assert second.restored["resumable"] == ["cut"] and second.restored["interrupted"] == []
        after = describe(second)
        # Outputs that point at the local API follow this run's API port; all else is the same.
        assert after["outputs"].pop("ApiUrl") == f"http://127.0.0.1:{second.api_port}/dev/"
        assert before["outputs"].pop("ApiUrl") == f"http://127.0.0.1:{first.api_port}/dev/"
        assert after == before
        sfn = second.client("stepfunctions")
        assert sfn.describe_execution(executionArn=done["executionArn"])["status"] == "SUCCEEDED"
        kept_history = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
        assert [(e["id"], e["type"]) for e in kept_history] == [(e["id"], e["type"]) for e in history]
        # The execution cut in its first task resumed: the same ARN, the task's attempt in flight
        # ended Runtime.ExitError (the stop killed its environment); Raise does not retry that.
        cut = wait_execution(sfn, running["executionArn"])
        assert cut["status"] == "FAILED" and cut["error"] == "Runtime.ExitError", cut
        events = sfn.get_execution_history(executionArn=running["executionArn"])["events"]
        failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
        assert [f["error"] for f in failed] == ["Runtime.ExitError"]
        assert "the local runtime stopped while this invocation ran" in failed[0]["cause"]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        # The restored stack runs: functions, the stream mapping, the state machine.
        second.client("dynamodb").put_item(
            TableName=second.outputs["ItemsTableName"],
            Item={"id": {"S": "b"}, "kind": {"S": "keep"}, "email": {"S": "b@example.com"}},
        )
        assert second.wait_for_streams()
        assert len(second.outbox()) == len(before["mails"]) + 1
        again = run_execution(sfn, second.outputs["WorkflowArn"], {"name": "again"})
        assert again["status"] == "SUCCEEDED"
    finally:
        second.stop()


def fixture_copy(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(FIXTURE_TEMPLATE.parent, app, ignore=shutil.ignore_patterns("__pycache__"))
    return app / "template.yaml"


def test_a_changed_template_updates_the_saved_stack_and_keeps_the_data_of_unchanged_tables(
    tmp_path: Path,
) -> None:
    template = fixture_copy(tmp_path)
    state = tmp_path / "state"
    first = boot(template, state)
    try:
        first.client("dynamodb").put_item(TableName=first.outputs["ItemsTableName"], Item={"id": {"S": "a"}})
        before = dict(first.resources)
    finally:
        first.stop()
    code = template.parent / "src" / "app.py"
    code.write_text(code.read_text().replace('"event": event,', '"event": event, "edited": True,', 1))
    text = template.read_text()
    template.write_text(
        text.replace(
            "  ParkedQueue:\n    Type: AWS::SQS::Queue\n",
            "  ParkedQueue:\n    Type: AWS::SQS::Queue\n\n  AddedQueue:\n    Type: AWS::SQS::Queue\n",
            1,
        )
    )
    second = boot(template, state)
    try:
        assert second.stack_action == "update"
        assert "AddedQueue" in second.resources
        assert {k: v for k, v in second.resources.items() if k != "AddedQueue"} == before
        items = second.client("dynamodb").scan(TableName=second.outputs["ItemsTableName"])["Items"]
        assert items == [{"id": {"S": "a"}}]
        echoed = second.invoke(second.functions["EchoFunction"], {}).payload
        assert echoed["edited"] is True, "the function runs the edited code"
    finally:
        second.stop()


def test_a_change_moto_cannot_update_is_refused_in_one_line_and_the_saved_state_kept(tmp_path: Path) -> None:
    template = tmp_path / "table-only.yaml"
    template.write_text(TABLE_ONLY)
    first = boot(template, tmp_path / "state")
    first.client("dynamodb").put_item(TableName=first.outputs["ItemsTableName"], Item={"id": {"S": "a"}})
    first.stop()
    template.write_text(TABLE_ONLY.replace("AttributeName: id", "AttributeName: pk"))
    with pytest.raises(RuntimeStartError) as refused:
        boot(template, tmp_path / "state")
    # KeySchema: "Update requires: Replacement" (AWS::DynamoDB::Table in the CloudFormation resource
    # reference): a new, empty table, which the embedded AWS does not do to a table with data
    assert str(refused.value) == (
        "the template changes KeySchema of ItemsTable (AWS::DynamoDB::Table), which CloudFormation applies "
        f"by replacing the resource with a new, empty one: delete {tmp_path / 'state'} (its data goes) or "
        "start with --in-memory"
    )
    template.write_text(
        TABLE_ONLY.replace(
            "BillingMode: PAY_PER_REQUEST",
            "BillingMode: PAY_PER_REQUEST\n      TableClass: STANDARD_INFREQUENT_ACCESS",
        )
    )
    with pytest.raises(RuntimeStartError) as refused:
        boot(template, tmp_path / "state")
    assert str(refused.value).startswith(
        "the template changes TableClass of ItemsTable (AWS::DynamoDB::Table), which the embedded AWS (moto) "
        "cannot update in place: delete "
    )
    template.write_text(TABLE_ONLY)
    again = boot(template, tmp_path / "state")
    try:
        assert again.stack_action == "restore"
        assert again.client("dynamodb").scan(TableName=again.outputs["ItemsTableName"])["Items"] == [
            {"id": {"S": "a"}}
        ]
    finally:
        again.stop()


def test_state_of_another_version_is_refused_in_one_line_and_nothing_is_loaded(tmp_path: Path) -> None:
    first = boot(FIXTURE_TEMPLATE, tmp_path)
    first.stop()
    path = tmp_path / "aws-state"
    header, _, body = path.read_bytes().partition(b"\n")
    for change, expected in (
        ({"format_version": 99}, "has format version 99, this orderflow reads version 1"),
        ({"moto_version": "4.0.0"}, "was written with moto 4.0.0"),
    ):
        path.write_bytes(json.dumps({**json.loads(header), **change}).encode() + b"\n" + body)
        runtime = Runtime(FIXTURE_TEMPLATE, aws_port=free_port(), state_dir=tmp_path, persist=True)
        with pytest.raises(RuntimeStartError) as refused:
            runtime.start()
        message = str(refused.value)
        assert "\n" not in message and expected in message
        assert message.endswith(f"delete {tmp_path} or start with --in-memory")
        assert not moto_layer.started()
    path.write_bytes(header + b"\n" + body[: len(body) // 2])  # cut short: never half-loaded
    runtime = Runtime(FIXTURE_TEMPLATE, aws_port=free_port(), state_dir=tmp_path, persist=True)
    with pytest.raises(RuntimeStartError, match=r"cannot be loaded \(.*\): delete"):
        runtime.start()
    assert not moto_layer.started()


def test_a_state_dir_in_use_by_a_running_runtime_is_refused_in_one_line(tmp_path: Path) -> None:
    template = tmp_path / "table-only.yaml"
    template.write_text(TABLE_ONLY)
    state_dir = tmp_path / "state"
    holder = subprocess.Popen(  # another process holds the lock, as a running orderflow up does
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from orderflow.runtime.persistence import StateDirLock; "
            "StateDirLock(pathlib.Path(sys.argv[1])).acquire(); print('held', flush=True); sys.stdin.read()",
            str(state_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        runtime = Runtime(template, aws_port=free_port(), state_dir=state_dir, persist=True)
        with pytest.raises(RuntimeStartError) as refused:
            runtime.start()
        assert str(refused.value) == (
            f"state dir {state_dir} is in use by another orderflow up (pid {holder.pid}): stop it, or give "
            "this one another --state-dir or --in-memory"
        )
        assert not moto_layer.started()
    finally:
        holder.communicate("", timeout=30)
    boot(template, state_dir).stop()  # the lock went with the process


def test_an_in_memory_runtime_writes_no_state(tmp_path: Path) -> None:
    runtime = Runtime(FIXTURE_TEMPLATE, stack_name="mem", aws_port=free_port(), state_dir=tmp_path)
    runtime.start()
    try:
        with pytest.raises(RuntimeError, match="in memory only"):
            runtime.snapshot()
    finally:
        runtime.stop()
    assert not (tmp_path / "aws-state").exists()
    assert not list(tmp_path.glob("*.tmp"))


# -------------------------------------------------------------------------------- the real CLI


class Up:
    """``orderflow up`` as a process, on a template of one table (beside ``state_dir``)."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        self.aws_port, api_port = later_port(), later_port()  # bound by the child, later
        template = state_dir.parent / "table-only.yaml"
        template.write_text(TABLE_ONLY)
        cmd = [sys.executable, "-m", "orderflow.cli", "up", "--template", str(template)]
        cmd += ["--stack-name", "crash", "--aws-port", str(self.aws_port), "--api-port", str(api_port)]
        cmd += ["--state-dir", str(state_dir), "--quiet", "--no-lint", *extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("orderflow ready"), self.proc.stderr.read() if self.proc.stderr else line
        self.state_dir = state_dir
        self.endpoint = f"http://127.0.0.1:{self.aws_port}"
        self.ddb = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )
        cfn = boto3.client(
            "cloudformation",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        outputs = cfn.describe_stacks(StackName="crash")["Stacks"][0]["Outputs"]
        self.table = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "ItemsTableName")

    def put(self, key: str) -> None:
        self.ddb.put_item(TableName=self.table, Item={"id": {"S": key}})

    def keys(self) -> set[str]:
        return {item["id"]["S"] for item in self.ddb.scan(TableName=self.table)["Items"]}

    def snapshot(self, token: str | None) -> dict[str, Any]:
        headers = {"X-Orderflow-Admin-Token": token} if token is not None else {}
        request = urllib.request.Request(
            f"{self.endpoint}/_orderflow/snapshot", data=b"", method="POST", headers=headers
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return dict(json.loads(response.read()))

    def end(self, sig: int) -> str:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=60)
        return err


@contextlib.contextmanager
def port_taken(port: int) -> Iterator[None]:
    """``port`` taken while the block runs (by this process, or already by another)."""
    with socket.socket() as holder:
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
        except OSError:
            pass  # someone else's: taken all the same
        yield


def test_a_crash_loses_only_what_changed_since_the_last_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path = tmp_path / "state"
    with port_taken(CONSOLE_PORT):  # the web console's default port: up says where the console went
        up = Up(tmp_path, "--snapshot-interval", "0")
    try:
        # the discovery record, for the client commands (orderflow.discovery)
        record = json.loads((tmp_path / "runtime.json").read_text())
        assert (record["endpoints"]["aws"], record["pid"]) == (up.endpoint, up.proc.pid)
        assert (record["stack_name"], record["region"]) == ("crash", "us-east-1")
        console = record["endpoints"]["console"]
        assert console.startswith("http://127.0.0.1:") and console != f"http://127.0.0.1:{CONSOLE_PORT}/"
        up.put("before-snapshot")
        with pytest.raises(urllib.error.HTTPError) as refused:
            up.snapshot(None)  # the snapshot route needs the admin token
        assert refused.value.code == 403
        token = (tmp_path / "admin-token").read_text().strip()
        assert up.snapshot(token)["path"] == str(tmp_path / "aws-state")
        up.put("after-snapshot")
        table = up.table
    finally:
        err = up.end(signal.SIGKILL)
    assert (
        f"console: port {CONSOLE_PORT} is taken, so the console is at {console} (see --console-port)" in err
    )
    assert "stack crash deployed in " in err
    # SIGKILL left the record behind: its process is gone, so it is ignored
    assert (tmp_path / "runtime.json").exists() and find_record(None, state_dir=tmp_path) is None

    up = Up(tmp_path)
    try:
        assert up.table == table, "the physical table name is kept"
        assert up.keys() == {"before-snapshot"}, "SIGKILL lost what came after the last snapshot, only that"
        up.put("before-clean-stop")
        # a client command finds this runtime through its record (no --endpoint)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        assert main(["faults", "show", "--state-dir", str(tmp_path)]) == 0
        assert capsys.readouterr().out == "no fault rules\n"
    finally:
        err = up.end(signal.SIGTERM)
    assert "Traceback" not in err
    assert any(line.startswith(f"state: restored from {tmp_path} (") for line in err.splitlines())
    assert "stack crash restored in " in err and " deployed" not in err  # a restore deploys nothing
    assert not (tmp_path / "runtime.json").exists(), "a clean stop removes the record"

    up = Up(tmp_path)
    try:
        assert up.keys() == {"before-snapshot", "before-clean-stop"}, "a clean stop keeps everything"
    finally:
        up.end(signal.SIGTERM)
    assert moto_state.read_header(tmp_path / "aws-state")["stack_name"] == "crash"
