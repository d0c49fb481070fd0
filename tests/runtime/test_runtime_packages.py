"""Each function imports only its own package, as on AWS; concurrency as Lambda's.

The fixture app (fixtures/deps) has a function whose requirements.txt installs one small package, one
that imports a package it does not ship, and a gate handler with and without reserved concurrency.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orderflow.runtime import Runtime
from tests.runtime.gate_support import Gate, in_thread
from tests.runtime.runtime_support import running
from tests.support.ports import later_port

DEPS_APP = Path(__file__).parent / "fixtures" / "deps"


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the app: its .orderflow/<stack> state is the test's own."""
    target = tmp_path_factory.mktemp("deps") / "app"
    shutil.copytree(DEPS_APP, target)
    return target


@pytest.fixture(scope="module")
def runtime(app_dir: Path) -> Iterator[Runtime]:
    with running(app_dir / "template.yaml", "twin") as rt:
        yield rt


def invoke(rt: Runtime, logical_id: str, event: dict[str, Any]) -> Any:
    response = rt.client("lambda").invoke(
        FunctionName=rt.resources[logical_id], Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def test_two_runtimes_of_one_checkout_with_one_stack_name_run_side_by_side(
    runtime: Runtime, app_dir: Path, tmp_path: Path
) -> None:
    """A second `orderflow up` of the same template and stack name (same .orderflow/twin) starts while
    this one runs; afterwards both still start workers: neither deleted the other's code (the bug:
    each start emptied .orderflow/<stack>/code, and the first runtime's next worker of a function it
    had already run failed with Runtime.ExitError)."""
    first_pid = invoke(runtime, "GateFunction", {})["pid"]  # this runtime has the function's code now
    aws_port, api_port = later_port(), later_port()  # bound by the child, later
    other = subprocess.Popen(
        [
            *(sys.executable, "-m", "orderflow.cli", "up", "--template", str(app_dir / "template.yaml")),
            *("--stack-name", "twin", "--aws-port", str(aws_port), "--api-port", str(api_port)),
            *("--no-lint", "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        ready = other.stdout.readline()  # the ready line, or EOF when it failed
        assert ready.startswith("orderflow ready"), ready + (other.stderr.read() if other.stderr else "")
        # a second worker of the same function (a cold start from the code this runtime extracted
        # before the other one started), and a first one of another function
        gate = Gate(tmp_path)
        held, box = in_thread(invoke, runtime, "GateFunction", gate.event)
        try:
            assert gate.wait_entered() == first_pid
            second = invoke(runtime, "GateFunction", {})
        finally:
            gate.release()
        held.join(30)
        assert second["pid"] != first_pid and box == [{"pid": first_pid}]
        assert Path(invoke(runtime, "PackagedFunction", {})["package"]).is_file()

        # the other runtime, through its own endpoint
        def other_client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=f"http://127.0.0.1:{aws_port}",
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

        name = other_client("cloudformation").describe_stack_resource(
            StackName="twin", LogicalResourceId="PackagedFunction"
        )["StackResourceDetail"]["PhysicalResourceId"]
        response = other_client("lambda").invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in response, response["Payload"].read()
    finally:
        other.terminate()
        other.communicate(timeout=30)


def test_a_function_gets_exactly_its_requirements(runtime: Runtime) -> None:
    payload = invoke(runtime, "PackagedFunction", {})
    # in the function's own package, as `sam build` puts it (and Lambda extracts it to /var/task)
    cache = runtime.build_cache
    assert Path(payload["package"]).is_relative_to(cache / "code"), payload["package"]
    assert "PackagedFunction" in Path(payload["package"]).relative_to(cache / "code").parts[0]
    assert payload["tool_packages_importable"] == [], "the tool's own packages are not the function's"
    assert payload["no_site"] == 1
    assert not [p for p in payload["sys_path"] if "site-packages" in p], payload["sys_path"]
    assert payload["boto3"]  # the SDK Lambda's runtime provides


def test_concurrent_invocations_run_in_separate_workers(runtime: Runtime, tmp_path: Path) -> None:
    gate = Gate(tmp_path)
    held, box = in_thread(invoke, runtime, "GateFunction", gate.event)
    try:
        held_pid = gate.wait_entered()
        other = invoke(runtime, "GateFunction", {})
    finally:
        gate.release()
    held.join(30)
    assert box == [{"pid": held_pid}]
    assert other["pid"] != held_pid
    assert invoke(runtime, "GateFunction", {})["pid"] in (held_pid, other["pid"]), "warm workers are reused"


def test_past_reserved_concurrency_an_invoke_is_throttled(runtime: Runtime, tmp_path: Path) -> None:
    gate = Gate(tmp_path)
    held, box = in_thread(invoke, runtime, "ReservedGateFunction", gate.event)
    try:
        held_pid = gate.wait_entered()
        lam = runtime.client("lambda")
        with pytest.raises(ClientError) as error:
            lam.invoke(FunctionName=runtime.resources["ReservedGateFunction"], Payload=b"{}")
    finally:
        gate.release()
    held.join(30)
    assert box == [{"pid": held_pid}]
    response = error.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded", response
    assert invoke(runtime, "ReservedGateFunction", {})["pid"] == held_pid  # free again, the same worker


def test_a_missing_package_fails_at_start_naming_function_and_module(tmp_path: Path) -> None:
    """`orderflow up` imports every handler at start: one importing a package it does not ship (the
    tool itself has it) stops the start in one line naming the function and the module."""
    app = tmp_path / "app"
    shutil.copytree(DEPS_APP, app)
    template = app / "template.yaml"
    template.write_text(
        template.read_text() + "\n  MissingFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: missing/\n      Handler: app.handler\n"
    )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "orderflow.cli", "up", "--template", str(template), "--no-lint"),
            *("--quiet", "--aws-port", str(later_port()), "--api-port", str(later_port())),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr, done.stderr
    assert "function MissingFunction: Runtime.ImportModuleError:" in last, done.stderr
    assert "No module named 'tqdm'" in last
