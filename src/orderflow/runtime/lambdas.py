"""Lambda workers: each function's real handler in its own warm process.

Design:

- Workers per function as Lambda scales execution environments: an invoke takes an idle warm
  worker of its function, else starts a new one (a cold start), up to the function's
  ``ReservedConcurrentExecutions`` - past it the invoke is throttled as on AWS
  (:class:`~orderflow.runtime.model.FunctionThrottled`, which the Lambda API answers with
  ``TooManyRequestsException``) - or, for a function without reserved concurrency, up to
  ``max_workers_per_function`` (``orderflow up --max-concurrency``, default 4), past which invokes
  wait for a worker (AWS would scale further; the laptop has a few cores). Warm workers are reused
  (the most recently used first); workers idle for ``idle_timeout`` seconds are reaped, except one
  per function. To keep cold starts short, the Runtime pre-spawns spare processes while it deploys:
  a spare has imported boto3 (with no function environment yet) and becomes a function's worker at
  that function's cold start, when its ``os.environ`` is replaced by exactly the function's
  variables before the handler is imported. Processes give real isolation: each has exactly its
  function's environment variables, its own modules and globals. Different functions run in
  parallel.
- Parent and worker talk over a socketpair (length-prefixed JSON via ``multiprocessing.connection``),
  never over the worker's stdout/stderr: those belong to the handler. A pipe carries them to a log
  pump thread (:class:`_LogPump`) that writes each line to ``<state_dir>/logs/<LogicalId>.log``,
  hands it to :class:`~.telemetry.Telemetry` for the function's log group ``/aws/lambda/<name>`` (log
  stream = the worker's ``AWS_LAMBDA_LOG_STREAM_NAME``) and, for embedded-metric-format lines, its
  metrics, and (``log_echo``) echoes what :class:`ConsoleFilter` lets through to stderr with a
  ``[LogicalId]`` prefix. Each invocation also records Lambda's own AWS/Lambda metrics.
- Waiting is blocking I/O with a deadline (``Connection.poll(timeout)``), no polling loops or sleeps.
  The function's Timeout is enforced: the worker is killed, the invoke returns errorType
  ``Sandbox.Timedout``; the next invoke cold-starts.
- Code is what was deployed: the function's and its layers' zips as moto's Lambda holds them,
  extracted once per code hash into the shared build cache (build.py), never deleted under a
  running worker. Layer contents go on ``sys.path`` the way
  Lambda mounts them at /opt: ``python/`` (and ``python/lib/python3.X/site-packages``) of each layer.
  A worker imports only what the function would have on AWS (see build.py): the standard library
  (``python -I -S``: none of the tool's site-packages), the SDK Lambda's runtime provides
  (``sdk_paths``), its code, what its requirements.txt installs (``package_paths``) and its layers.
  The interpreter is the spec's (runtimes.py: the declared python3.X where the machine has it, the
  nearest one otherwise); a nodejs function runs in ``node worker.js``, same protocol, its SDK and
  layers on ``NODE_PATH`` (``runtime_env``); a runtime that cannot run here answers every invocation
  with ``Runtime.InvalidRuntime``. Spares run the interpreter most of the template's functions run on.
- Environment = the function's Environment.Variables from moto's model (Refs already resolved by
  CloudFormation to local physical ids) + the variables Lambda sets (AWS_REGION, AWS_LAMBDA_*,
  _HANDLER, LAMBDA_TASK_ROOT, ...) + credentials + ``AWS_ENDPOINT_URL`` pointing at the
  embedded AWS. The credentials are a session of the function's execution role (the Runtime puts
  them in the spec's environment; see moto/iam.py), or the runtime's administrator key with --no-iam.
  ``_X_AMZN_TRACE_ID`` is never set and ``POWERTOOLS_TRACE_DISABLED=true`` unless the
  function sets it: there is no X-Ray daemon locally. AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE point
  at /dev/null so a developer's ~/.aws profile cannot leak in.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from . import runtimes
from .log_echo import echo_line
from .model import FunctionThrottled, InvokeResult
from .telemetry import Datum, Telemetry, datum, parse_emf

log = logging.getLogger("orderflow.runtime")

INIT_TIMEOUT_S = 30.0
DEFAULT_MAX_CONCURRENCY = 4
IDLE_TIMEOUT_S = 300.0
REPORT_WAIT_S = 5.0  # how long an invocation waits for the pump to read its REPORT line


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to run one function (read from moto's Lambda model)."""

    function_name: str
    logical_id: str
    function_arn: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    code_dir: Path
    layer_paths: tuple[str, ...]
    package_paths: tuple[str, ...] = ()  # what the function's requirements.txt installs
    # ReservedConcurrentExecutions (None: unreserved); not part of a worker's identity
    reserved_concurrency: int | None = field(default=None, compare=False)
    language: str = "python"  # the worker: "python" (worker.py), "nodejs" (worker.js), "" (none)
    executable: str | None = sys.executable  # its interpreter; None: the runtime cannot run here
    runtime_env: tuple[tuple[str, str], ...] = ()  # what the runtime sets (NODE_PATH), before the function's
    invalid_reason: str = ""  # why it cannot run here (Runtime.InvalidRuntime's message)


def lambda_metrics(function_name: str, result: InvokeResult, concurrent: int) -> list[Datum]:
    """What Lambda records in AWS/Lambda for one invocation (by FunctionName)."""
    dimensions = {"FunctionName": function_name}
    return [
        datum("AWS/Lambda", "Invocations", dimensions, 1, "Count"),
        datum("AWS/Lambda", "Errors", dimensions, 1 if result.function_error else 0, "Count"),
        datum("AWS/Lambda", "Duration", dimensions, result.duration_ms, "Milliseconds"),
        datum("AWS/Lambda", "ConcurrentExecutions", dimensions, concurrent, "Count"),
    ]


def lambda_error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


class _Worker:
    def __init__(
        self,
        spec: FunctionSpec,
        proc: subprocess.Popen[bytes],
        conn: Connection,
        echo: Any,
        pump: _LogPump | None = None,
    ):
        self.spec = spec
        self.proc = proc
        self.conn = conn
        self.echo_thread = echo
        self.pump = pump
        self.idle_since = time.monotonic()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            log.warning("worker %s did not exit", self.proc.pid)
        self.conn.close()


class _FunctionPool:
    def __init__(self, max_workers: int):
        self.max_workers = max_workers
        self.idle: list[_Worker] = []
        self.live: set[_Worker] = set()  # idle and busy
        self.count = 0
        self.closed = False
        self.cond = threading.Condition()


class WorkerPool:
    """Invokes functions in their workers. Thread-safe."""

    def __init__(
        self,
        spec_for: Callable[[str], FunctionSpec],
        *,
        base_env: dict[str, str],
        log_dir: Path,
        log_echo: bool = False,
        log_format: str = "compact",
        max_workers_per_function: int = DEFAULT_MAX_CONCURRENCY,
        time_scale: float | None = None,
        telemetry: Telemetry | None = None,
        sdk_paths: tuple[str, ...] = (),
        idle_timeout: float = IDLE_TIMEOUT_S,
    ):
        self._spec_for = spec_for
        self._telemetry = telemetry
        self._time_scale = time_scale  # botocore's retry sleeps in the workers x this (None: real time)
        self._base_env = base_env
        self._log_dir = log_dir
        self._log_echo = log_echo
        self._log_format = log_format
        self._max_workers = max(1, max_workers_per_function)
        self._sdk_paths = tuple(sdk_paths)  # what Lambda's runtime provides (boto3...), after the function's
        self._idle_timeout = idle_timeout
        self._pools: dict[str, _FunctionPool] = {}
        self._spares: list[tuple[subprocess.Popen[bytes], Connection]] = []
        self._spare_python = sys.executable  # the interpreter the spares run (prespawn's)
        self._lock = threading.Lock()
        self._closed = False
        self._in_flight = 0
        self.cold_starts: dict[str, int] = {}

    # ------------------------------------------------------------------------------------ public

    def invoke(self, function_name: str, event: Any, request_id: str | None = None) -> InvokeResult:
        """Run one invocation; ``request_id`` is its ``context.aws_request_id`` and the id of its
        START/END/REPORT lines (the Lambda API's request id; a new one when None)."""
        started = time.perf_counter()
        request_id = request_id or str(uuid.uuid4())
        spec = self._spec_for(function_name)
        pool = self._pool(spec.function_name)
        worker, cold = self._acquire(pool, spec)
        with self._lock:
            self._in_flight += 1
            concurrent = self._in_flight
        keep = False
        payload: Any
        error: str | None
        try:
            if isinstance(worker, dict):  # the init failed: that is this invoke's error
                payload, error = worker, "Unhandled"
            else:
                payload, error, keep = self._run(worker, spec, event, request_id)
        finally:
            with self._lock:
                self._in_flight -= 1
            self._release(pool, worker, keep)
        result = InvokeResult(payload, error, (time.perf_counter() - started) * 1000, cold, request_id)
        if self._telemetry is not None:
            self._telemetry.metric(lambda_metrics(spec.function_name, result, concurrent))
        return result

    def kill_busy(self, function_name: str) -> list[int]:
        """A real crash: SIGKILL the processes of the function's workers that are running an
        invocation now; those invocations end with ``Runtime.ExitError``, the next one cold-starts.
        Returns the killed processes' ids."""
        pool = self._pools.get(function_name)
        if pool is None:
            return []
        with pool.cond:
            busy = [worker for worker in pool.live if worker not in pool.idle and worker.alive()]
        killed = []
        for worker in busy:
            worker.proc.kill()
            worker.proc.wait(timeout=5)
            killed.append(worker.proc.pid)
            log.warning("%s: worker %d killed mid-invocation", worker.spec.logical_id, worker.proc.pid)
        return killed

    def idle_workers(self, function_name: str) -> int:
        """How many warm workers of this function wait for an invocation."""
        pool = self._pools.get(function_name)
        return len(pool.idle) if pool is not None else 0

    def check(self, function_name: str) -> dict[str, Any] | None:
        """Start (or reuse) the function's worker; the init error if its handler does not import."""
        spec = self._spec_for(function_name)
        if not spec.language or not spec.executable:
            return None  # cannot run here: its invocations answer Runtime.InvalidRuntime (runtimes.py)
        pool = self._pool(spec.function_name)
        try:
            worker, _ = self._acquire(pool, spec)
        except FunctionThrottled:  # reserved concurrency 0, or all its workers busy: nothing to check
            return None
        if isinstance(worker, dict):
            self._release(pool, None)
            return worker
        self._release(pool, worker)
        return None

    def check_all(self, functions: list[tuple[str, str]]) -> tuple[str, dict[str, Any]] | None:
        """:meth:`check` each (label, function name), 8 at a time; the first (label, error) in order."""
        with ThreadPoolExecutor(max_workers=min(8, len(functions) or 1)) as executor:
            results = list(executor.map(lambda item: (item[0], self.check(item[1])), functions))
        return next(((label, error) for label, error in results if error is not None), None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
            spares, self._spares = self._spares, []
        for proc, conn in spares:
            # A spare holds nothing: killed, and reaped before the runtime's stop returns. (It used
            # to be asked to exit and given 5 s: on a loaded machine a spare still preloading boto3
            # outlived that, was killed and never waited for, and outlived `orderflow up` itself.)
            conn.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for pool in pools:
            with pool.cond:
                pool.closed = True
                workers, pool.idle = list(pool.live), []
                pool.cond.notify_all()
            for worker in workers:  # busy ones too: their invokes end with Runtime.ExitError
                worker.kill()

    # ----------------------------------------------------------------------------------- workers

    def _pool(self, function_name: str) -> _FunctionPool:
        with self._lock:
            if self._closed:
                raise RuntimeError("the local runtime is stopped")
            pool = self._pools.get(function_name)
            if pool is None:
                pool = self._pools[function_name] = _FunctionPool(self._max_workers)
            return pool

    def _acquire(self, pool: _FunctionPool, spec: FunctionSpec) -> tuple[Any, bool]:
        reserved = spec.reserved_concurrency
        with pool.cond:
            while True:
                if pool.closed:
                    raise RuntimeError("the local runtime is stopped")
                while pool.idle:
                    worker = pool.idle.pop()
                    if worker.alive() and worker.spec == spec:
                        return worker, False
                    pool.count -= 1  # dead, or the function's code/config changed: replace it
                    pool.live.discard(worker)
                    worker.kill()
                if reserved is not None and pool.count >= reserved:
                    # as Lambda: no environment to spare within the function's reserved concurrency
                    raise FunctionThrottled(spec.function_name, reserved)
                if pool.count < min(pool.max_workers, reserved if reserved is not None else pool.max_workers):
                    pool.count += 1
                    break
                pool.cond.wait()
        try:
            return self._start(pool, spec), True
        except BaseException:
            self._release(pool, None)
            raise

    def _release(self, pool: _FunctionPool, worker: Any, keep: bool = True) -> None:
        """Back to idle (``keep``), or gone: a dead/killed worker, or an init error (dict)."""
        reaped: list[_Worker] = []
        with pool.cond:
            if isinstance(worker, _Worker) and keep and not pool.closed:
                now = time.monotonic()
                worker.idle_since = now
                # idle ones past the timeout go (the oldest first), one warm worker stays
                while len(pool.idle) >= 1 and now - pool.idle[0].idle_since >= self._idle_timeout:
                    old = pool.idle.pop(0)
                    pool.count -= 1
                    pool.live.discard(old)
                    reaped.append(old)
                pool.idle.append(worker)
            else:
                pool.count -= 1
                if isinstance(worker, _Worker):
                    pool.live.discard(worker)
                    worker.kill()
            pool.cond.notify()
        for old in reaped:
            log.info("%s: idle worker %d reaped", old.spec.logical_id, old.proc.pid)
            old.kill()

    def prespawn(self, count: int, python: str | None = None) -> None:
        """Start ``count`` spare worker processes now (they preload boto3 while the stack deploys);
        each becomes one function's worker at its cold start, for a function on ``python`` (the
        interpreter most of the template's functions run on; the tool's own when None)."""
        self._spare_python = python or sys.executable
        for _ in range(count):
            spare = self._spawn()
            with self._lock:
                self._spares.append(spare)

    def _take_spare(self, spec: FunctionSpec) -> tuple[subprocess.Popen[bytes], Connection] | None:
        if spec.language != "python" or spec.executable != self._spare_python:
            return None  # spares run one interpreter
        with self._lock:
            while self._spares:
                proc, conn = self._spares.pop(0)
                if proc.poll() is None:
                    return proc, conn
                conn.close()
        return None

    def _spawn(self, spec: FunctionSpec | None = None) -> tuple[subprocess.Popen[bytes], Connection]:
        """A worker process with no function yet: the runtime-wide environment only (a spare: the
        spares' interpreter; else the spec's, with what its runtime sets, such as Node's NODE_PATH)."""
        language, executable = (spec.language, spec.executable) if spec else ("python", self._spare_python)
        parent_sock, child_sock = socket.socketpair()
        try:
            proc = subprocess.Popen(
                runtimes.worker_command(
                    language, executable or sys.executable, child_sock.fileno(), self._sdk_paths
                ),
                env={**self._base_env, **dict(spec.runtime_env if spec else ())},
                cwd=self._log_dir.parent if self._log_dir.parent.is_dir() else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=[child_sock.fileno()],
                start_new_session=True,
            )
        finally:
            child_sock.close()
        return proc, Connection(parent_sock.detach())

    def _start(self, pool: _FunctionPool, spec: FunctionSpec) -> _Worker | dict[str, Any]:
        """A new warm worker, or the Lambda-style init error (dict) when its handler does not load."""
        if not spec.language or not spec.executable:
            reason = spec.invalid_reason or f"runtime {spec.runtime} cannot run locally"
            return lambda_error(runtimes.INVALID_RUNTIME, reason)
        started = time.perf_counter()
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{spec.logical_id}.log"
        env = self._environment(spec)
        proc, conn = self._take_spare(spec) or self._spawn(spec)
        pump = _LogPump(
            open(log_path, "ab"),  # noqa: SIM115 - the pump's thread closes it
            spec.logical_id,
            env["AWS_LAMBDA_LOG_GROUP_NAME"],
            env["AWS_LAMBDA_LOG_STREAM_NAME"],
            echo=self._log_format if self._log_echo else None,
            telemetry=self._telemetry,
        )
        echo = threading.Thread(target=pump.run, args=(proc.stdout,), daemon=True)
        echo.start()
        worker = _Worker(spec, proc, conn, echo, pump)
        with pool.cond:
            pool.live.add(worker)  # from now on close() kills it, even mid-init
        init = {
            "op": "init",
            "env": env,
            "cwd": str(spec.code_dir),
            "log_path": None,  # stdout/stderr: the pipe to the log pump
            "handler": spec.handler,
            "paths": [str(spec.code_dir), *spec.package_paths, *spec.layer_paths],
            "function_name": spec.function_name,
            "function_version": "$LATEST",
            "invoked_function_arn": spec.function_arn,
            "memory_limit_in_mb": spec.memory_size,
            "log_group_name": env["AWS_LAMBDA_LOG_GROUP_NAME"],
            "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"],
            "time_scale": self._time_scale,
        }
        reply = self._exchange(worker, init, INIT_TIMEOUT_S)
        elapsed = (time.perf_counter() - started) * 1000
        if reply is None or not reply.get("ok"):
            with pool.cond:
                pool.live.discard(worker)
            worker.kill()
            error = (reply or {}).get("error") or lambda_error(
                "Runtime.ExitError", f"worker exited during init (see {log_path})"
            )
            log.error(
                "%s failed to start: %s: %s", spec.logical_id, error["errorType"], error["errorMessage"]
            )
            return error
        self.cold_starts[spec.function_name] = self.cold_starts.get(spec.function_name, 0) + 1
        log.info("cold start %s (%s): %.0f ms", spec.logical_id, spec.function_name, elapsed)
        return worker

    def _run(
        self, worker: _Worker, spec: FunctionSpec, event: Any, request_id: str
    ) -> tuple[Any, str | None, bool]:
        deadline_ms = int(time.time() * 1000 + spec.timeout * 1000)
        message = {"op": "invoke", "request_id": request_id, "event": event, "deadline_ms": deadline_ms}
        try:
            reply = self._exchange(worker, message, spec.timeout)
        except _Timeout:
            worker.kill()
            log.warning("%s timed out after %.2f seconds; worker killed", spec.logical_id, spec.timeout)
            error = lambda_error("Sandbox.Timedout", f"Task timed out after {spec.timeout:.2f} seconds")
            return error, "Unhandled", False
        if reply is None:
            code = worker.proc.wait()
            worker.kill()
            error = lambda_error(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
            )
            return error, "Unhandled", False
        if worker.pump is not None:
            # The invocation's lines are stamped when the pump reads them: an invocation ends once its
            # REPORT line is read, so the next step's lines can never be stamped before this one's.
            worker.pump.wait_reported(request_id, REPORT_WAIT_S)
        if reply.get("ok"):
            return reply.get("payload"), None, True
        return reply["error"], "Unhandled", True

    def _exchange(self, worker: _Worker, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send, then wait (blocking, with a deadline) for the reply; None when the worker died."""
        try:
            worker.conn.send_bytes(json.dumps(message).encode("utf-8"))
            if not worker.conn.poll(timeout):
                raise _Timeout
            return json.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            return None

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        today = time.strftime("%Y/%m/%d", time.gmtime())
        env = dict(self._base_env)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(spec.timeout)),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{today}/[$LATEST]{uuid.uuid4().hex}",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "_HANDLER": spec.handler,
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
            }
        )
        env.update(dict(spec.runtime_env))
        env.update(dict(spec.environment))
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        env.pop("_X_AMZN_TRACE_ID", None)
        return env


class _Timeout(Exception):
    pass


class ConsoleFilter:
    """Which of a function's log lines the ``orderflow up`` console shows (all of them stay in the
    log file and the log group): not START/END/REPORT, not embedded-metric-format lines (they become
    metrics), and no traceback: the worker prints the one-line ``[ERROR] Type: message`` before it,
    and whether an error is business as usual (caught by the workflow) or an incident is for the
    execution's end line to say. A traceback ends at the next record: a JSON log line, a ``[``-tagged
    line or the invocation's END."""

    def __init__(self) -> None:
        self._in_traceback = False

    def show(self, line: str) -> bool:
        if line.startswith(("START RequestId:", "END RequestId:", "REPORT RequestId:")):
            self._in_traceback = False
            return False
        if self._in_traceback:
            if not line.startswith(("{", "[")):
                return False
            self._in_traceback = False
        if line.startswith("Traceback (most recent call last):"):
            self._in_traceback = True
            return False
        return not (line.startswith("{") and '"_aws"' in line and parse_emf(line))


class _LogPump:
    """A worker's stdout+stderr, line by line: to the function's log file, to its log group (one
    event per line, shipped in batches by Telemetry), embedded-metric-format lines to metrics, and
    (``echo``) what ConsoleFilter lets through to the console, in that format (see log_echo.py)."""

    def __init__(
        self,
        log_file: IO[bytes],
        prefix: str,
        group: str,
        stream: str,
        *,
        echo: str | None,  # the terminal's log format (see log_echo.py); None: not echoed
        telemetry: Telemetry | None,
    ):
        self.log_file = log_file
        self.prefix = prefix
        self.group = group
        self.stream = stream
        self.echo = echo
        self.telemetry = telemetry
        self.console = ConsoleFilter()
        self._reported: set[str] = set()  # request ids whose REPORT line was read, not yet waited for
        self._ended = False
        self._cond = threading.Condition()

    def wait_reported(self, request_id: str, timeout: float) -> bool:
        """Until the invocation's REPORT line has been read (False: the stream ended or time ran out)."""
        with self._cond:
            found = self._cond.wait_for(lambda: request_id in self._reported or self._ended, timeout)
            self._reported.discard(request_id)
            return bool(found) and not self._ended

    def run(self, stream: IO[bytes] | None) -> None:
        try:
            self._run(stream)
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _run(self, stream: IO[bytes] | None) -> None:
        with self.log_file:
            if stream is None:
                return
            for raw in iter(stream.readline, b""):
                self.log_file.write(raw)
                self.log_file.flush()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if self.telemetry is not None:
                    self.telemetry.log_line(self.group, self.stream, line)
                    if line.startswith("{") and '"_aws"' in line:
                        self.telemetry.metric(parse_emf(line))
                if self.echo and self.console.show(line):
                    sys.stderr.write(echo_line(line, self.prefix, self.echo) + "\n")
                    sys.stderr.flush()
                if line.startswith("REPORT RequestId: "):
                    with self._cond:
                        self._reported.add(line[len("REPORT RequestId: ") :].split(maxsplit=1)[0])
                        self._cond.notify_all()
