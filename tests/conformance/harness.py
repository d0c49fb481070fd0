"""Run small state machines through moto's real ASL interpreter, in-process, with the runtime's patches.

The conformance cases (tests/conformance/test_*.py) are state machines written from documented
examples of the Step Functions developer guide and the ASL specification; each names its page and
asserts the documented result. They run on in-process moto (``mock_aws``, nothing listens on a port)
with every patch the runtime applies (``orderflow.runtime.moto.RUNTIME_PATCHES``) except those that
exist for the embedded server: ``sfn_inprocess_clients`` sends the interpreter's service calls to
127.0.0.1:<port>, and the IAM enforcement patches (``iam_role_sessions``, ``sfn_task_role``), which
the IAM cases switch on themselves. Waits and retry intervals run at time scale 0 (the
``sfn_time_scale`` patch), so nothing sleeps.

Lambda tasks call Python functions of the case (``functions={"name": callable}``) through the
``lambda_invoke`` patch: the function's return value is the payload; raising :class:`LambdaError`
is the function's unhandled error (``errorType``/``errorMessage``), as Lambda reports it.

The harness uses only what the runtime's moto package exported before issue 19, so the suite can be
run against older code: ``PYTHONPATH=<old checkout>/src pytest tests/conformance`` (the pass count
before the change).
"""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.runtime.moto import REGISTRY, RUNTIME_PATCHES, hooks, sfn_local_hooks

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_NAME = "conformance"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
SERVER_ONLY = ("sfn_inprocess_clients", "iam_role_sessions", "sfn_task_role")
DEADLINE_SECONDS = 20.0


def unsupported(what: str) -> pytest.MarkDecorator:
    """A documented behaviour the runtime does not have (listed in docs/asl-coverage.md, "Not supported"): a
    strict xfail, so the day it works the suite says so."""
    return pytest.mark.xfail(strict=True, reason=f"not supported: {what}")


class LambdaError(Exception):
    """Raised by a case's function: Lambda reports ``{"errorType", "errorMessage"}`` (Unhandled)."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class Functions:
    """Stands in for the runtime (``hooks``): invocations run the current case's Python functions."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self._ended: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, **_: Any
    ) -> tuple[bytes, str | None]:
        self.calls.append((function_name, event))
        handler = self.handlers[function_name]
        try:
            result = handler(event)
        except LambdaError as exc:
            if invocation_type == "Event":  # the caller does not see an asynchronous invocation's error
                return b"", None
            body = {"errorType": exc.error_type, "errorMessage": exc.message}
            return json.dumps(body).encode(), "Unhandled"
        # an asynchronous invocation (as the runtime's) answers at once with an empty body
        return (b"" if invocation_type == "Event" else json.dumps(result).encode()), None

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        pass

    def lambda_fault(self, function_name: str) -> Any:
        return None

    def iam_denied(self, denial: Any) -> None:
        pass

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        if kind == "ended":
            self.ended_event(execution["executionArn"]).set()

    def ended_event(self, execution_arn: str) -> threading.Event:
        with self._lock:
            return self._ended.setdefault(execution_arn, threading.Event())


@dataclass
class Result:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    execution_arn: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]


class Conformance:
    """One in-process AWS account with the runtime's patches; runs state machines to their end."""

    def __init__(self, functions: Functions) -> None:
        self.functions = functions
        self.sfn = client("stepfunctions")
        self._created_functions: set[str] = set()

    def function(self, name: str, handler: Callable[[Any], Any]) -> str:
        """A Lambda function ``name`` whose invocations run ``handler(event)``: its ARN."""
        self.functions.handlers[name] = handler
        if name not in self._created_functions:
            client("lambda").create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=ROLE_ARN,
                Handler="app.handler",
                Code={"ZipFile": _zipped("app.py", "def handler(event, context):\n    return event\n")},
            )
            self._created_functions.add(name)
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    def create(
        self, definition: dict[str, Any], machine_type: str = "STANDARD", role_arn: str = ROLE_ARN
    ) -> str:
        return str(
            self.sfn.create_state_machine(
                name=f"case-{uuid.uuid4().hex[:12]}",
                definition=json.dumps(definition),
                roleArn=role_arn,
                type=machine_type,
            )["stateMachineArn"]
        )

    def start(self, machine_arn: str, payload: Any = None) -> str:
        return str(
            self.sfn.start_execution(
                stateMachineArn=machine_arn, input=json.dumps(payload if payload is not None else {})
            )["executionArn"]
        )

    def wait(self, execution_arn: str) -> Result:
        if not self.functions.ended_event(execution_arn).wait(DEADLINE_SECONDS):
            raise AssertionError(f"execution {execution_arn} did not end within {DEADLINE_SECONDS}s")
        described = self.sfn.describe_execution(executionArn=execution_arn)
        history = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        output = described.get("output")
        return Result(
            status=described["status"],
            output=_json_or_raw(output),
            error=described.get("error"),
            cause=described.get("cause"),
            execution_arn=execution_arn,
            history=history,
        )

    def run(self, definition: dict[str, Any], payload: Any = None, **create: Any) -> Result:
        """Create the state machine, start one execution with ``payload``, wait for its end."""
        return self.wait(self.start(self.create(definition, **create), payload))


class NotJson(str):
    """DescribeExecution's ``output`` that is not JSON text (AWS always sends JSON)."""


def _json_or_raw(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return NotJson(text)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def _zipped(filename: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(filename, source)
    return buffer.getvalue()


@contextmanager
def conformance_aws(extra_patches: tuple[str, ...] = ()) -> Iterator[Conformance]:
    """In-process moto with the runtime's patches (see the module docstring) and time scale 0."""
    if REGISTRY.active() or hooks.attached():
        raise RuntimeError(f"moto is not plain: patches on {REGISTRY.active()}, hooks {hooks.attached()}")
    functions = Functions()
    wanted = [name for name in RUNTIME_PATCHES if name not in SERVER_ONLY] + list(extra_patches)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client("iam").create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}")
        hooks.attach(functions)
        sfn_local_hooks.set_time_scale(0)
        try:
            REGISTRY.enable(*wanted, sfn_local_hooks.SFN_TIME_SCALE.name)
            yield Conformance(functions)
        finally:
            REGISTRY.disable_all()
            sfn_local_hooks.set_time_scale(1)
            hooks.detach()
