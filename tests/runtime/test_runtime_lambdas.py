"""The worker pool on its own (no embedded AWS): specs built by hand from the fixture app's code."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from orderflow.runtime import build
from orderflow.runtime.lambdas import FunctionSpec, WorkerPool
from orderflow.runtime.model import FunctionThrottled
from tests.runtime.gate_support import Gate, in_thread
from tests.runtime.runtime_support import FIXTURE_TEMPLATE

APP = FIXTURE_TEMPLATE.parent

# Joins wait for threads the test has released: the bound only ends a broken run, and is generous
# because a loaded 2-core machine can take many seconds to start a worker process.
BROKEN_RUN_S = 120


def spec(
    handler: str, timeout: float = 5.0, env: dict[str, str] | None = None, reserved: int | None = None
) -> FunctionSpec:
    return FunctionSpec(
        function_name=f"fn-{handler.replace('.', '-')}",
        logical_id=handler.replace(".", "_"),
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:fn-{handler}",
        handler=handler,
        runtime="python3.12",
        timeout=timeout,
        memory_size=128,
        environment=tuple(sorted((env or {}).items())),
        code_dir=APP / "src",
        layer_paths=(str(APP / "layer"),),  # the fixture layer's package sits at its root
        reserved_concurrency=reserved,
    )


def make_pool(tmp_path: Path, *specs: FunctionSpec, **kwargs: object) -> WorkerPool:
    by_name = {s.function_name: s for s in specs}
    return WorkerPool(
        by_name.__getitem__,
        base_env={"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"},
        log_dir=tmp_path / "logs",
        sdk_paths=(str(build.sdk_dir(build.default_cache_root(tmp_path))),),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def pool(tmp_path: Path):
    workers = make_pool(tmp_path, spec("app.echo", env={"ECHO_ONLY": "e"}), max_workers_per_function=2)
    yield workers
    workers.close()


def test_a_second_worker_only_while_the_first_is_busy(tmp_path: Path) -> None:
    # the timeout only bounds a broken run: the gate holds the first invocation while the second
    # one cold-starts its worker, however long that takes on a loaded machine
    pool = make_pool(
        tmp_path, spec("app.echo", timeout=60, env={"ECHO_ONLY": "e"}), max_workers_per_function=2
    )
    try:
        first = pool.invoke("fn-app-echo", {})
        assert first.cold_start and first.payload["echo_env"] == "e"
        assert pool.invoke("fn-app-echo", {}).cold_start is False

        gate = Gate(tmp_path)
        held, box = in_thread(pool.invoke, "fn-app-echo", gate.event)
        try:
            pid = gate.wait_entered()  # the warm worker is busy inside its handler
            other = pool.invoke("fn-app-echo", {})
        finally:
            gate.release()
        held.join(BROKEN_RUN_S)
        assert not held.is_alive(), "the released invocation never returned"
        assert box[0].payload["pid"] == pid == first.payload["pid"] and box[0].cold_start is False
        assert other.cold_start and other.payload["pid"] != pid
        assert pool.cold_starts["fn-app-echo"] == 2
        assert pool.invoke("fn-app-echo", {}).cold_start is False
    finally:
        pool.close()


def test_environment_is_exactly_the_functions(pool: WorkerPool) -> None:
    payload = pool.invoke("fn-app-echo", {}).payload
    assert payload["echo_env"] == "e"
    assert payload["raiser_env"] is None
    assert payload["trace_disabled"] == "true"
    assert payload["endpoint"] is None  # only what the pool was given


def test_close_kills_busy_workers(pool: WorkerPool) -> None:
    import time

    pool.invoke("fn-app-echo", {})  # warm
    results = []
    thread = threading.Thread(target=lambda: results.append(pool.invoke("fn-app-echo", {"sleep": 30})))
    thread.start()
    deadline = time.monotonic() + 10
    while pool.idle_workers("fn-app-echo"):  # until the invoke has taken the warm worker
        assert time.monotonic() < deadline
        time.sleep(0.001)
    pool.close()  # had it waited for the invocation, the invocation would have ended well after 30 s
    thread.join(timeout=60)
    assert results[0].function_error == "Unhandled"
    assert results[0].payload["errorType"] == "Runtime.ExitError"
    with pytest.raises(RuntimeError, match="stopped"):
        pool.invoke("fn-app-echo", {})


def test_kill_busy_crashes_the_running_invocation_and_the_next_one_cold_starts(pool: WorkerPool) -> None:
    import time

    assert pool.kill_busy("fn-app-echo") == [], "no worker yet: nothing to kill"
    warm = pool.invoke("fn-app-echo", {})
    assert pool.kill_busy("fn-app-echo") == [], "an idle worker is not running an invocation"
    results = []
    thread = threading.Thread(target=lambda: results.append(pool.invoke("fn-app-echo", {"sleep": 30})))
    thread.start()
    deadline = time.monotonic() + 10
    while pool.idle_workers("fn-app-echo"):  # until the invoke has taken the warm worker
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert pool.kill_busy("fn-app-echo") == [warm.payload["pid"]]
    thread.join(timeout=10)
    assert results[0].function_error == "Unhandled"
    assert results[0].payload["errorType"] == "Runtime.ExitError"
    assert "exit status -9" in results[0].payload["errorMessage"]
    after = pool.invoke("fn-app-echo", {})
    assert after.cold_start and after.payload["pid"] != warm.payload["pid"]


def test_reserved_concurrency_throttles_and_idle_workers_are_reaped(tmp_path: Path) -> None:
    # timeouts only bound a broken run: the gates hold the handlers, whatever the machine's load
    reserved, unreserved = spec("gate.handler", timeout=60, reserved=1), spec("gate.handler", timeout=60)
    unreserved = dataclasses.replace(unreserved, function_name="fn-unreserved")
    pool = make_pool(tmp_path, reserved, unreserved, idle_timeout=0.0)
    try:
        gate = Gate(tmp_path, "reserved")
        held, box = in_thread(pool.invoke, reserved.function_name, gate.event)
        try:
            pid = gate.wait_entered()
            with pytest.raises(FunctionThrottled, match="Rate Exceeded"):
                pool.invoke(reserved.function_name, {})
        finally:
            gate.release()
        held.join(BROKEN_RUN_S)
        assert not held.is_alive(), "the released invocation never returned"
        assert box[0].payload == {"pid": pid}

        gate = Gate(tmp_path, "unreserved")
        held, box = in_thread(pool.invoke, "fn-unreserved", gate.event)
        try:
            pid = gate.wait_entered()
            other = pool.invoke("fn-unreserved", {})
        finally:
            gate.release()
        held.join(BROKEN_RUN_S)
        assert not held.is_alive(), "the released invocation never returned"
        assert other.payload["pid"] != pid and box[0].payload == {"pid": pid}
        # both went idle; with idle_timeout 0 the older one is reaped at the later one's release
        assert pool.idle_workers("fn-unreserved") == 1
        assert pool.invoke("fn-unreserved", {}).cold_start is False
    finally:
        pool.close()


class HeldLogs:
    """A Telemetry stand-in whose log shipping is held at a gate (a slow log pump, deterministically)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.gate = threading.Event()

    def log_line(self, group: str, stream: str, line: str) -> None:
        self.gate.wait(30)
        self.lines.append(line)

    def metric(self, data: object) -> None:
        pass


def test_an_invocation_returns_only_once_its_report_line_is_read(tmp_path: Path) -> None:
    """Lines are stamped when the pump reads them: were an invocation to return before its lines were
    read, the next step's time window could hold this invocation's lines."""
    logs = HeldLogs()
    workers = make_pool(tmp_path, spec("app.echo", env={"ECHO_ONLY": "e"}), telemetry=logs)
    try:
        logs.gate.set()
        assert workers.invoke("fn-app-echo", {}).cold_start  # warm: no start-up in what follows
        logs.gate.clear()
        thread, box = in_thread(workers.invoke, "fn-app-echo", {})
        thread.join(0.5)
        assert thread.is_alive(), "the invocation returned while its log lines were still unread"
        logs.gate.set()
        thread.join(30)
        assert box and not isinstance(box[0], BaseException), box
        assert sum(line.startswith("REPORT RequestId: ") for line in logs.lines) == 2, logs.lines
    finally:
        logs.gate.set()
        workers.close()


def test_a_gate_released_before_its_handler_opens_it_still_lets_the_handler_go(tmp_path: Path) -> None:
    """The gate's release may come while the handler is between writing ``entered`` and opening
    ``release`` (a loaded machine): the handler must still go, at once, not wait out its timeout."""
    import importlib.util

    location = Path(__file__).parent / "fixtures" / "app" / "src" / "gate.py"
    module_spec = importlib.util.spec_from_file_location("fixture_gate", location)
    assert module_spec is not None and module_spec.loader is not None
    fixture = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(fixture)
    gate = Gate(tmp_path)
    handler, box = in_thread(fixture.handler, gate.event, None)
    gate.release()  # the handler is still blocked writing ``entered``: it has not opened ``release``
    assert gate.wait_entered() == os.getpid()
    handler.join(BROKEN_RUN_S)
    assert box == [{"pid": os.getpid()}]


def test_close_kills_and_reaps_every_spare_at_once(tmp_path: Path) -> None:
    """A spare that would not exit on its own (one still preloading on a loaded machine) is killed and
    waited for by close(): nothing of the pool outlives it."""
    workers = make_pool(tmp_path, spec("app.echo"))
    stubborn = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    conn, other = multiprocessing.Pipe()
    workers._spares.append((stubborn, conn))  # type: ignore[arg-type]
    workers.close()
    assert stubborn.returncode == -signal.SIGKILL, "killed and reaped by close()"
    other.close()
