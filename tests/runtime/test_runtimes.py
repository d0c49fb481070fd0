"""Functions in Lambda runtimes other than the tool's Python, beside each other (fixtures/runtimes):
each python3.X on that interpreter (or the nearest, said in one line), Node.js in a Node worker with
the AWS SDK v3, and a runtime that cannot run here answering Runtime.InvalidRuntime without blocking
the stack."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime import Runtime, runtimes
from orderflow.runtime.embedded_aws import DUMMY_CREDENTIALS
from orderflow.runtime.lambdas import FunctionSpec, WorkerPool
from tests.runtime.gate_support import Gate, in_thread
from tests.runtime.runtime_support import free_port, run_execution

APP = Path(__file__).parent / "fixtures" / "runtimes"
BROKEN_RUN_S = 120  # bounds a broken run only
HIDDEN_MINOR = 13  # the fixture's OtherPythonFunction declares python3.13: the tests hide it


def hiding(minor: int) -> Any:
    """An interpreter lookup on which python3.<minor> is missing (the rest as the machine has it)."""
    return lambda wanted: None if wanted == minor else runtimes.find_python(wanted)


# ---------------------------------------------------------------------------------------- lookup


def test_a_present_version_runs_on_its_own_interpreter() -> None:
    launcher = runtimes.resolve("python3.12", find_python={12: "/x/python3.12"}.get)
    assert launcher == runtimes.Launcher("python3.12", "python", "/x/python3.12", "python3.12", None)


def test_a_missing_version_runs_on_the_nearest_the_newer_on_a_tie() -> None:
    present = {11: "/x/python3.11", 13: "/x/python3.13", 8: "/x/python3.8"}
    launcher = runtimes.resolve("python3.12", find_python=present.get)
    assert (launcher.executable, launcher.version) == ("/x/python3.13", "python3.13")
    assert launcher.notice == (
        "functions declare Runtime python3.12; there is no python3.12 here: they run on python3.13 "
        "(packages built for it)"
    )
    oldest = runtimes.resolve("python3.8", find_python={11: "/x/python3.11"}.get)
    assert (oldest.version, oldest.runnable) == ("python3.11", True)


def test_node_without_node_and_other_runtimes_cannot_run_here() -> None:
    no_node = runtimes.resolve("nodejs22.x", find_node=lambda: None)
    java = runtimes.resolve("java21")
    assert not no_node.runnable and not java.runnable
    assert no_node.notice is not None and "no `node` on PATH" in no_node.notice
    assert java.notice == (
        "functions with Runtime java21 cannot run here (not a runtime the local runtime runs (python3.x "
        "and nodejs only)): their invocations fail with Runtime.InvalidRuntime; the rest of the stack runs"
    )
    node = runtimes.resolve("nodejs24.x", find_node=lambda: ("/x/node", 20))
    assert node == runtimes.Launcher("nodejs24.x", "nodejs", "/x/node", "node20", None)


def test_the_spares_run_the_interpreter_most_functions_run_on() -> None:
    present = {11: "/x/python3.11", 12: "/x/python3.12"}
    launcher = functools.partial(runtimes.resolve, find_python=present.get, find_node=lambda: ("/x/node", 20))
    function = "AWS::Serverless::Function"
    template = {
        "Globals": {"Function": {"Runtime": "python3.12"}},
        "Resources": {
            "A": {"Type": function, "Properties": {}},
            "B": {"Type": function, "Properties": {}},
            "N": {"Type": function, "Properties": {"Runtime": "nodejs20.x"}},
            "O": {"Type": function, "Properties": {"Runtime": "python3.11"}},
            "T": {"Type": "AWS::DynamoDB::Table"},
        },
    }
    assert runtimes.spare_python(template, launcher) == "/x/python3.12"
    only_node = {"Resources": {"N": {"Type": function, "Properties": {"Runtime": "nodejs20.x"}}}}
    assert runtimes.spare_python(only_node, launcher) is None


def test_pyenv_shims_are_skipped_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyenv's shims answer only for the selected versions ("pyenv: python3.12: command not found"):
    the lookup takes the interpreter from pyenv's versions folder instead."""
    shims, real = tmp_path / "pyenv" / "shims", tmp_path / "pyenv" / "versions" / "3.99.2" / "bin"
    for folder in (shims, real):
        folder.mkdir(parents=True)
        (folder / "python3.99").write_text("#!/bin/sh\n")
        (folder / "python3.99").chmod(0o755)
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    runtimes.find_python.cache_clear()
    try:
        assert runtimes.find_python(99) == str(real / "python3.99")
    finally:
        runtimes.find_python.cache_clear()


# ------------------------------------------------------------------------------------ the stack


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, list[str]]]:
    if runtimes.find_node() is None:
        pytest.skip("no `node` on PATH")
    app = tmp_path_factory.mktemp("runtimes") / "app"
    shutil.copytree(APP, app)
    rt = Runtime(app / "template.yaml", stack_name="polyglot", aws_port=free_port(), api_port=free_port())
    rt.specs.launcher = functools.partial(runtimes.resolve, find_python=hiding(HIDDEN_MINOR))
    lines = _Lines()
    logger = logging.getLogger("orderflow.runtime")
    logger.addHandler(lines)
    try:
        rt.start()
        try:
            rt.check_handlers()  # what `up` does: the Java function does not stop it
            yield rt, lines.lines
        finally:
            rt.stop()
    finally:
        logger.removeHandler(lines)


@pytest.fixture(scope="module")
def runtime(started: tuple[Runtime, list[str]]) -> Runtime:
    return started[0]


def invoke(rt: Runtime, logical_id: str, event: dict[str, Any]) -> tuple[Any, str | None]:
    response = rt.client("lambda").invoke(FunctionName=rt.resources[logical_id], Payload=json.dumps(event))
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def test_python312_syntax_runs_on_python312(runtime: Runtime) -> None:
    if runtimes.find_python(12) is None:
        pytest.skip("no python3.12 on this machine (PATH or pyenv)")
    payload, error = invoke(runtime, "ModernPythonFunction", {"names": ["a", "b"]})
    assert error is None, payload
    assert payload == {"python": "3.12", "greeting": "hello 'a', 'b'"}


def test_a_missing_python_version_falls_back_to_the_nearest_with_one_line(
    started: tuple[Runtime, list[str]],
) -> None:
    runtime, lines = started
    expected = runtimes.resolve(f"python3.{HIDDEN_MINOR}", find_python=hiding(HIDDEN_MINOR))
    payload, error = invoke(runtime, "OtherPythonFunction", {})
    assert error is None, payload
    assert payload == {"python": expected.version.removeprefix("python")}
    said = [line for line in lines if f"python3.{HIDDEN_MINOR}" in line]
    assert said == [
        f"functions declare Runtime python3.{HIDDEN_MINOR}; there is no python3.{HIDDEN_MINOR} here: "
        f"they run on {expected.version} (packages built for it)"
    ]


def test_a_node_function_uses_the_sdk_against_the_local_dynamodb(runtime: Runtime) -> None:
    payload, error = invoke(runtime, "NodeFunction", {"id": "n-1", "text": "from node"})
    assert error is None, payload
    assert payload["saved"] == {"id": "n-1", "text": "from node"}
    assert payload["aMinute"] == 60000  # its package.json's dependency, built with npm as sam build does
    assert payload["node"] == str(runtimes.find_node()[1])  # type: ignore[index]
    # a session of the function's execution role, as the Python workers get
    assert payload["accessKey"] and payload["accessKey"] != DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    item = runtime.client("dynamodb").get_item(
        TableName=runtime.outputs["NotesTable"], Key={"id": {"S": "n-1"}}
    )["Item"]
    assert item["text"] == {"S": "from node"}

    runtime.flush_telemetry()
    group = f"/aws/lambda/{runtime.resources['NodeFunction']}"
    messages = [e["message"] for e in runtime.client("logs").filter_log_events(logGroupName=group)["events"]]
    request_id = payload["requestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in messages
    assert f"END RequestId: {request_id}" in messages
    assert any(m.startswith(f"REPORT RequestId: {request_id}\tDuration: ") for m in messages)
    # console.log as Lambda's Node runtime writes it: time, request id, level, message
    [logged] = [m for m in messages if "saving note" in m]
    stamp, rid, level, text = logged.split("\t")
    assert (rid, level, text) == (request_id, "INFO", f"saving note n-1 in {runtime.outputs['NotesTable']}")
    assert stamp.endswith("Z")


def test_a_node_error_is_shaped_as_the_node_runtime_reports_it(runtime: Runtime) -> None:
    payload, error = invoke(runtime, "NodeFunction", {"id": "n-2", "fail": True})
    assert error == "Unhandled"
    assert payload["errorType"] == "RangeError"
    assert payload["errorMessage"] == "note n-2 refused"
    assert payload["trace"][0] == "RangeError: note n-2 refused"
    assert "src/notes.js" in payload["trace"][1]
    assert not any("worker.js" in line for line in payload["trace"])


def test_a_node_function_as_a_step_functions_task(runtime: Runtime) -> None:
    sfn = runtime.client("stepfunctions")
    done = run_execution(sfn, runtime.outputs["SaveNoteArn"], {"id": "n-3", "text": "via sfn"})
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["saved"] == {"id": "n-3", "text": "via sfn"}

    failed = run_execution(sfn, runtime.outputs["SaveNoteArn"], {"id": "n-4", "fail": True})
    assert failed["status"] == "FAILED"
    assert failed["error"] == "RangeError"
    assert json.loads(failed["cause"])["errorMessage"] == "note n-4 refused"


def test_an_unsupported_runtime_answers_invalid_runtime_and_the_stack_runs(
    started: tuple[Runtime, list[str]],
) -> None:
    runtime, lines = started
    payload, error = invoke(runtime, "JavaFunction", {})
    assert error == "Unhandled"
    assert payload["errorType"] == "Runtime.InvalidRuntime"
    assert payload["errorMessage"] == (
        "java21 cannot run locally: not a runtime the local runtime runs (python3.x and nodejs only)"
    )
    assert [line for line in lines if "java21" in line] == [runtimes.resolve("java21").notice]
    # the functions of the other runtimes answer (the stack started with check_handlers)
    assert invoke(runtime, "OtherPythonFunction", {})[1] is None


# ------------------------------------------------------------------------- the Node worker's pool


def node_spec(
    name: str, handler: str, timeout: float = 60.0, env: dict[str, str] | None = None
) -> FunctionSpec:
    node = runtimes.find_node()
    if node is None:
        pytest.skip("no `node` on PATH")
    return FunctionSpec(
        function_name=name,
        logical_id=name,
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        handler=handler,
        runtime="nodejs20.x",
        timeout=timeout,
        memory_size=128,
        environment=tuple(sorted((env or {}).items())),
        code_dir=APP / "node",
        layer_paths=(),
        language="nodejs",
        executable=node[0],
    )


def make_node_pool(tmp_path: Path, by_name: dict[str, FunctionSpec]) -> WorkerPool:
    """A pool that looks each invocation's spec up in ``by_name`` (a test may swap one)."""
    return WorkerPool(
        by_name.__getitem__,
        base_env={"PATH": os.environ["PATH"]},
        log_dir=tmp_path / "logs",
        max_workers_per_function=2,
    )


@pytest.fixture
def node_pool(tmp_path: Path) -> Iterator[WorkerPool]:
    specs = [
        node_spec("mine", "src/gate.handler", env={"MINE": "m"}),
        node_spec("theirs", "src/gate.handler", env={"THEIRS": "t"}),
        node_spec("callback", "src/gate.callback"),
        node_spec("esm", "src/esm.handler"),
    ]
    pool = make_node_pool(tmp_path, {spec.function_name: spec for spec in specs})
    yield pool
    pool.close()


def test_node_workers_run_concurrently_each_with_exactly_its_environment(
    node_pool: WorkerPool, tmp_path: Path
) -> None:
    gates = [Gate(tmp_path, "first"), Gate(tmp_path, "second")]
    runs = [in_thread(node_pool.invoke, "mine", gate.event) for gate in gates]
    pids = {gate.wait_entered() for gate in gates}  # both held at once: two processes
    for gate in gates:
        gate.release()
    for thread, _ in runs:
        thread.join(BROKEN_RUN_S)
    assert len(pids) == 2
    assert {box[0].payload["pid"] for _, box in runs} == pids
    warm = node_pool.invoke("mine", {})
    assert warm.cold_start is False and warm.payload["pid"] in pids
    assert node_pool.cold_starts["mine"] == 2
    assert (warm.payload["mine"], warm.payload["theirs"]) == ("m", None)
    theirs = node_pool.invoke("theirs", {}).payload
    assert (theirs["mine"], theirs["theirs"]) == (None, "t")


def test_a_node_timeout_kills_the_worker_and_the_next_invoke_cold_starts(tmp_path: Path) -> None:
    """Only the looping call runs against the 1 s timeout: the worker is started without an
    invocation (``check``), and the invoke that must succeed has a generous timeout, so a loaded
    machine cannot time either out."""
    slow = node_spec("slow", "src/gate.handler", timeout=1.0)
    by_name = {"slow": slow}
    pool = make_node_pool(tmp_path, by_name)
    try:
        assert pool.check("slow") is None and pool.cold_starts["slow"] == 1  # warm, no invocation
        timed_out = pool.invoke("slow", {"loop": True})
        assert timed_out.cold_start is False  # it ran on that warm worker
        assert (timed_out.function_error, timed_out.payload["errorType"]) == ("Unhandled", "Sandbox.Timedout")
        assert timed_out.payload["errorMessage"] == "Task timed out after 1.00 seconds"
        # the timeout killed the worker: none is kept, and the function's next start is cold
        assert pool.idle_workers("slow") == 0
        assert pool.check("slow") is None and pool.cold_starts["slow"] == 2
        by_name["slow"] = dataclasses.replace(slow, timeout=60.0)  # for the invoke that must succeed
        after = pool.invoke("slow", {})
        assert after.function_error is None and after.cold_start is True  # a new configuration: a new worker
    finally:
        pool.close()


def test_node_callback_and_es_module_handlers(node_pool: WorkerPool) -> None:
    assert node_pool.invoke("callback", {}).payload == {"style": "callback", "left": True}
    assert node_pool.invoke("esm", {"a": [1]}).payload == {"style": "esm", "echo": {"a": [1]}}
