"""Start-up failures: one clear line naming the problem, and nothing left running."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime import Runtime, RuntimeStartError
from orderflow.runtime import moto as moto_layer
from orderflow.runtime.embedded_aws import ensure_port_free
from orderflow.runtime.moto import registry as moto_registry
from tests.runtime.runtime_support import FIXTURE_TEMPLATE, free_port

pytestmark = pytest.mark.e2e

MINIMAL = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
{resources}
"""


def write_app(tmp_path: Path, resources: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    template = tmp_path / "template.yaml"
    template.write_text(MINIMAL.format(resources=resources))
    return template


def start_fails(template: Path, tmp_path: Path, **kwargs: object) -> str:
    port = free_port()
    runtime = Runtime(template, stack_name="broken", aws_port=port, state_dir=tmp_path / "state", **kwargs)
    with pytest.raises(RuntimeStartError) as info:
        runtime.start()
    message = str(info.value)
    assert "\n" not in message
    assert not moto_layer.started(), "patches removed"
    ensure_port_free(port)  # the embedded AWS is gone
    runtime.stop()  # idempotent
    return message


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runtime = Runtime(FIXTURE_TEMPLATE, aws_port=port, state_dir=tmp_path)
        with pytest.raises(RuntimeStartError, match=rf"^port {port} is already in use$"):
            runtime.start()
    assert not moto_layer.started()


def test_missing_code_uri(tmp_path: Path) -> None:
    template = write_app(
        tmp_path,
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: nowhere/\n      Handler: app.handler\n      Runtime: python3.12\n",
    )
    message = start_fails(template, tmp_path)
    assert message.startswith("Fn: CodeUri nowhere/ does not exist")


def test_template_that_does_not_transform(tmp_path: Path) -> None:
    template = write_app(
        tmp_path,
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.12\n"
        "      Events:\n        Bad:\n          Type: Bogus\n",
    )
    message = start_fails(template, tmp_path)
    assert message.startswith("the template does not transform:")
    assert "Fn" in message


def test_stack_create_failed_names_the_resource(tmp_path: Path) -> None:
    template = write_app(
        tmp_path,
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.12\n"
        "  Mapping:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
        "      FunctionName: !Ref Fn\n"
        "      EventSourceArn: arn:aws:sqs:us-east-1:123456789012:no-such-queue\n"
        # Outputs made the failure a 500 ('Unable to parse response ... Internal server error')
        "Outputs:\n  FnArn:\n    Value: !GetAtt Fn.Arn\n  MappingId:\n    Value: !Ref Mapping\n",
    )
    message = start_fails(template, tmp_path)
    assert message.startswith(
        "stack broken ROLLBACK_COMPLETE: Mapping (AWS::Lambda::EventSourceMapping) CREATE_FAILED: "
        "Invalid EventSourceArn"
    ), message


def test_unknown_parameter_override(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURE_TEMPLATE.parent, app)
    runtime = Runtime(app / "template.yaml", aws_port=free_port(), parameter_overrides={"Nope": "1"})
    with pytest.raises(RuntimeStartError, match=r"^parameter Nope is not declared in template.yaml$"):
        runtime.start()


def test_parameter_overrides_reach_the_functions(tmp_path: Path) -> None:
    with Runtime(
        FIXTURE_TEMPLATE,
        stack_name="params",
        aws_port=free_port(),
        state_dir=tmp_path,
        parameter_overrides={"Greeting": "bonjour", "StageName": "prod"},
    ) as runtime:
        config = runtime.client("lambda").get_function(FunctionName=runtime.resources["RaiserFunction"])
        assert config["Configuration"]["Environment"]["Variables"]["GREETING"] == "bonjour"
        assert runtime.api_stage == "prod"
        assert runtime.outputs["ApiUrl"] == f"http://127.0.0.1:{runtime.api_port}/prod/"
    assert not moto_layer.started()


def test_a_moto_outside_the_patches_range_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_registry, "installed_version", lambda name: "5.3.0")
    message = start_fails(FIXTURE_TEMPLATE, tmp_path)
    assert message.startswith(
        "moto 5.3.0 is not supported: patch sfn_cfn_backend was written for moto >=5.2.5,<5.3"
    )


def test_stop_reports_each_running_execution_in_one_line_and_their_tasks_end_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = Runtime(FIXTURE_TEMPLATE, stack_name="stopping", aws_port=free_port(), state_dir=tmp_path)
    runtime.start()
    # The first Lambda task of each execution waits at a gate: both executions are certainly RUNNING.
    gate, arrived, finished = threading.Event(), threading.Semaphore(0), threading.Semaphore(0)
    original = runtime.hooks.invoke_function
    results: list[tuple[bytes, str | None]] = []

    def held(
        function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, str | None]:
        arrived.release()
        assert gate.wait(15), "the test never opened the gate"
        results.append(original(function_name, event, invocation_type, request_id))
        finished.release()
        return results[-1]

    monkeypatch.setattr(runtime.hooks, "invoke_function", held)
    sfn = runtime.client("stepfunctions")
    for name in ("held-1", "held-2"):
        sfn.start_execution(stateMachineArn=runtime.outputs["WorkflowArn"], name=name, input="{}")
    assert arrived.acquire(timeout=15) and arrived.acquire(timeout=15)
    with caplog.at_level(logging.DEBUG, logger="orderflow"):
        runtime.stop()
        gate.set()  # the held tasks go on after the stop
        assert finished.acquire(timeout=15) and finished.acquire(timeout=15)
    reports = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert sorted(reports) == [
        f"stopping: execution interrupted  stopping-Workflow  {name} in Raise: lost (the state is kept "
        "in memory only)"
        for name in ("held-1", "held-2")
    ]
    assert [r for r in caplog.records if r.exc_info] == []  # no traceback anywhere
    assert all(json.loads(payload)["errorType"] == "Runtime.ExitError" for payload, _ in results)
    assert not moto_layer.started()
