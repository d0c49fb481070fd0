"""Bootstrap of one Lambda worker process (the function's execution environment).

Started by :mod:`orderflow.runtime.lambdas` as ``python -I -S -u worker.py <fd> [<sdk path>...]`` - a
script, so it imports nothing of orderflow; ``-I`` keeps the script's folder off ``sys.path`` and
``-S`` the interpreter's site-packages (the tool's own packages): ``sys.path`` is the standard
library, then the SDK folders given (what Lambda's runtime provides), and at init the function's
code, packages and layers go in front of them, in Lambda's order. It starts as a
spare (no function yet, boto3 preloaded) and becomes one function's execution environment at init:
``os.environ`` is replaced by exactly the function's variables before its handler is imported, and
stdout/stderr (the handler's) are pointed at the function's log file. The protocol runs over the
inherited socket ``<fd>`` with ``multiprocessing.connection`` framing, JSON messages:

    parent -> {"op": "init", "env", "cwd", "log_path", "handler", "paths", "function_name",
               "function_version", "invoked_function_arn", "memory_limit_in_mb", "log_group_name",
               "log_stream_name"}
    worker -> {"ok": true, "init_ms"} | {"ok": false, "error": {errorType, errorMessage, stackTrace}}
    parent -> {"op": "invoke", "request_id", "event", "deadline_ms"}
    worker -> {"ok": true, "payload"} | {"ok": false, "error": {...}}

Stdlib only, and runs on every interpreter a ``python3.X`` runtime may get (3.8 and later; see
runtimes.py): no syntax or standard-library API newer than 3.8.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import json
import math
import os
import resource
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any


class LambdaContext:
    """The attributes of the Lambda Python runtime's context object."""

    def __init__(self, init: dict[str, Any], request_id: str, deadline_ms: int):
        self.function_name = init["function_name"]
        self.function_version = init["function_version"]
        self.invoked_function_arn = init["invoked_function_arn"]
        self.memory_limit_in_mb = str(init["memory_limit_in_mb"])
        self.aws_request_id = request_id
        self.log_group_name = init["log_group_name"]
        self.log_stream_name = init["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(error_type: str, message: str, tb: Any = None, request_id: str | None = None) -> dict[str, Any]:
    """Lambda's error payload; the stack trace lists the function's frames, not the bootstrap's. An
    invocation's error carries its ``requestId``, as the Python runtime's does (awslambdaric's
    ``make_error``); an init error has none."""
    frames = [
        frame
        for frame in (traceback.extract_tb(tb) if tb is not None else [])
        if frame.filename != __file__ and not frame.filename.startswith("<frozen importlib")
    ]
    error: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = traceback.format_list(frames)
    return error


def _exception_error(exc: BaseException, request_id: str | None = None) -> dict[str, Any]:
    return _error(type(exc).__name__, str(exc), exc.__traceback__, request_id)


def _to_json_default(value: Any) -> Any:
    # What the Lambda Python runtime does with Decimal (boto3's DynamoDB numbers).
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _load_handler(spec: str) -> Any:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise _InitError(_error("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values"))
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise _InitError(
            _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}")
        ) from exc
    except ImportError as exc:
        raise _InitError(
            _error(
                "Runtime.ImportModuleError",
                f"Unable to import module '{module_name}': {exc}",
                exc.__traceback__,
            )
        ) from exc
    except Exception as exc:
        raise _InitError(_exception_error(exc)) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
        )
    return handler


class _InitError(Exception):
    def __init__(self, error: dict[str, Any]):
        super().__init__(error["errorMessage"])
        self.error = error


def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode("utf-8"))


def _preload() -> None:
    """Import boto3 (every Python Lambda runtime ships it) while no function is assigned yet: a spare
    worker pays this before its function's cold start. Nothing of it reads the environment. On an
    interpreter the tool's SDK does not support (its urllib3 needs 3.10+) the import fails: the
    function's own import of it then says why."""
    with contextlib.suppress(Exception):
        import boto3  # noqa: F401


class _ScaledTime:
    """Stands in for the ``time`` module in botocore's endpoint module: its retry back-off sleeps
    (standard mode: up to 1 s, 2 s, ... between attempts) scaled, as ``orderflow up --time-scale``
    scales the state machine's Retry waits; every other attribute is the real module's."""

    def __init__(self, scale: float):
        self._scale = scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self._scale > 0:
            time.sleep(seconds * self._scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _scale_sdk_retry_sleeps(scale: Any) -> None:
    if scale is None or float(scale) == 1:
        return
    try:
        import botocore.endpoint
    except ImportError:
        return
    botocore.endpoint.time = _ScaledTime(float(scale))


def _become(init: dict[str, Any]) -> None:
    """Take on the function's execution environment: exactly its variables, its folder, its log."""
    os.environ.clear()
    os.environ.update(init["env"])
    time.tzset()
    os.chdir(init["cwd"])
    if init.get("log_path"):
        fd = os.open(init["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)


SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def _forget_preloaded_sdk(paths: list[str]) -> None:
    """A function that packages its own boto3/botocore (they come before the runtime's on sys.path)
    gets those: the spare's preloaded copies are dropped before its handler is imported."""
    if not any(os.path.isdir(os.path.join(path, "botocore")) for path in paths):
        return
    for name in list(sys.modules):
        if name.split(".", 1)[0] in SDK_MODULES:
            del sys.modules[name]


def peak_memory_mb() -> int:
    """This process's peak resident memory (MB), as Lambda's ``Max Memory Used``.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries it across execve (at exec the kernel keeps
    the old address space's high-water mark in the process's ``maxrss``), and this worker is forked
    from the runtime's process, whose copied RSS (hundreds of MB) then shows as the worker's peak.
    ``VmHWM`` in /proc/self/status is the high-water mark of the current address space only: what the
    function's environment itself used since exec. (ru_maxrss is the fallback where /proc is absent.)
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    conn = Connection(int(sys.argv[1]))
    sys.path.extend(sys.argv[2:])
    _preload()
    try:
        init = json.loads(conn.recv_bytes())
    except EOFError:  # a spare that was never used
        return 0
    _become(init)
    _scale_sdk_retry_sleeps(init.get("time_scale"))
    _forget_preloaded_sdk(init["paths"])
    for path in reversed(init["paths"]):
        sys.path.insert(0, path)
    started = time.perf_counter()
    try:
        handler = _load_handler(init["handler"])
    except _InitError as exc:
        print(f"[ERROR] {exc.error['errorType']}: {exc.error['errorMessage']}", file=sys.stderr, flush=True)
        _send(conn, {"ok": False, "error": exc.error})
        return 1
    init_ms: float | None = (time.perf_counter() - started) * 1000
    _send(conn, {"ok": True, "init_ms": init_ms})
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except EOFError:
            return 0
        request_id = message["request_id"]
        context = LambdaContext(init, request_id, message["deadline_ms"])
        print(f"START RequestId: {request_id} Version: {init['function_version']}", flush=True)
        started = time.perf_counter()
        try:
            result = handler(message["event"], context)
            try:
                reply = {"ok": True, "payload": json.loads(json.dumps(result, default=_to_json_default))}
            except (TypeError, ValueError) as exc:
                reply = {
                    "ok": False,
                    "error": _error(
                        "Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id=request_id
                    ),
                }
        except Exception as exc:
            error = _exception_error(exc, request_id)
            print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": error}
        duration = (time.perf_counter() - started) * 1000
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"END RequestId: {request_id}", flush=True)
        # Lambda's REPORT line: billed per started millisecond; the init duration on a cold start only
        max_memory_mb = peak_memory_mb()
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration))} ms\t"
            f"Memory Size: {init['memory_limit_in_mb']} MB\tMax Memory Used: {max_memory_mb} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
            init_ms = None
        print(report, flush=True)
        _send(conn, reply)


if __name__ == "__main__":
    sys.exit(main())
