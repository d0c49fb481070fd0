"""One owner of a local run: everything ``orderflow up`` starts, in the right order, and its stop.

    with LocalSession(SessionOptions(Path("template.yaml"), api_port=3000)) as session:
        session.runtime.outputs, session.api.url

:meth:`LocalSession.start` claims the API port first (a clash costs nothing to report), checks the
AWS port, starts the runtime (embedded AWS, moto patches, the Step Functions Local settings of its
config, stack), imports every function's handler, and serves
the local API, then the web console when asked for (its port is claimed with the API's, before
anything starts). Any failure is one RuntimeStartError line, with everything already started stopped
again. :meth:`LocalSession.stop` first refuses new work (the local API and the embedded AWS answer
503) and gives what runs ``stop_grace`` seconds to finish (:meth:`LocalSession.hurry` cuts that
short), then undoes it all in reverse; what still runs is saved to resume at the next start.
``orderflow up``, ``orderflow demo``, the benchmark and the tests start runtimes through this class.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from orderflow.api import ApiServer
from orderflow.console import Console, ConsoleSources
from orderflow.ports import port_free
from orderflow.runtime import Runtime, RuntimeStartError, boot_log
from orderflow.runtime.config import RuntimeConfig
from orderflow.runtime.stopping import DEFAULT_GRACE_S, RETRY_AFTER_S

log = logging.getLogger("orderflow.runtime")

API_STOPPING = "the local runtime is stopping: this request was not run; retry once it has restarted"


@dataclass(frozen=True)
class SessionOptions(RuntimeConfig):
    """The runtime's config (every field of RuntimeConfig, keyword-only) and the session's own."""

    template: Path
    access_log: Callable[[str], None] | None = None  # one line per local API request
    # Whose handlers are imported at start (a broken one fails start-up): every function's (True),
    # none (False) or these logical ids.
    check_handlers: bool | Sequence[str] = True
    console_port: int | None = None  # the web console's port (0: any free port; None: no console)
    console_port_fallback: bool = False  # console_port taken: any free port instead of an error
    # At stop: how long executions and requests in flight get to finish before what still runs is
    # saved to resume at the next start (orderflow up --stop-grace)
    stop_grace: float = DEFAULT_GRACE_S

    @classmethod
    def _loaded(cls, template: Path, **fields: Any) -> Any:
        return cls(template, **fields)


class PortInUse(RuntimeStartError):
    """A port to listen on is taken; the message names the flag that moves it."""

    def __init__(self, which: str, port: int, *, aws_port_in_use: int | None = None) -> None:
        if aws_port_in_use is None:
            message = f"{which} port {port} is in use (see --{which.lower()}-port)"
        else:
            message = (
                f"{which} port {port} and AWS port {aws_port_in_use} are in use "
                f"(see --{which.lower()}-port and --aws-port; is another orderflow up running?)"
            )
        super().__init__(message)
        self.which = which  # "API", "console" or "AWS": the first port found in use
        self.port = port
        self.also_aws = aws_port_in_use is not None  # the AWS port is in use too


def _not_started(function_name: str, event: dict[str, Any]) -> Any:
    raise RuntimeError("the runtime is not started yet")


class LocalSession:
    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.runtime: Runtime | None = None
        self.api: ApiServer | None = None
        self.console: Console | None = None
        self.timings: dict[str, float] = {}  # the start's phases (ms), see runtime/boot_log.py
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------- lifecycle

    def start(self) -> LocalSession:
        with self._lock:
            if self.runtime is not None:
                return self
            try:
                self._start()
            except BaseException:
                self._stop()
                raise
            return self

    def stop(self) -> None:
        """Refuse new work, give what runs ``stop_grace`` seconds, then stop the local API, the runtime
        (which switches its Step Functions Local settings off). Idempotent."""
        with self._lock:
            try:
                self._drain()
            finally:
                self._stop()

    def hurry(self) -> None:
        """A stop under way waits no longer for what runs (a second Ctrl-C); safe from any thread."""
        runtime = self.runtime
        if runtime is not None:
            runtime.stopping.hurry()

    def _drain(self) -> None:
        runtime = self.runtime
        if runtime is None or not runtime.started:
            return
        runtime.begin_stop()
        api = self.api
        if api is not None:
            api.refuse_new(API_STOPPING, RETRY_AFTER_S)
            api.on_request_done = runtime.stopping.notify
        busy = api.in_flight if api is not None else None
        running = len(runtime.running_executions()) + (busy() if busy is not None else 0)
        if running and self.options.stop_grace > 0:
            log.warning(
                "stopping: waiting up to %s s for %d execution(s) and request(s) in flight "
                "(Ctrl-C again to stop now)",
                f"{self.options.stop_grace:g}",
                running,
            )
        runtime.drain(self.options.stop_grace, busy)

    def __enter__(self) -> LocalSession:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self) -> None:
        t0 = time.perf_counter()
        o = self.options
        if not Path(o.template).is_file():
            raise RuntimeStartError(f"template {o.template} not found")
        if o.api_port is not None and o.api_port == o.aws_port:
            raise RuntimeStartError(f"the AWS port and the API port are both {o.api_port}")
        aws_port_free = port_free(o.aws_port, o.host)
        if o.api_port is not None:
            api = ApiServer([], _not_started, host=o.host, port=o.api_port, access_log=o.access_log)
            try:
                api.bind()
            except OSError:
                raise PortInUse(
                    "API", o.api_port, aws_port_in_use=None if aws_port_free else o.aws_port
                ) from None
            self.api = api
        if o.console_port is not None:
            console = Console(self._console_sources(), host=o.host, port=o.console_port)
            try:
                console.bind()
            except OSError:
                if not o.console_port_fallback:
                    raise PortInUse("console", o.console_port) from None
                console = Console(self._console_sources(), host=o.host, port=0)
                console.bind()
            self.console = console
        if not aws_port_free:
            raise PortInUse("AWS", o.aws_port)
        # as many spare workers as handlers are checked at start (all functions: the default)
        spare = None if isinstance(o.check_handlers, bool) else len(o.check_handlers)
        runtime = Runtime(Path(o.template).resolve(), dataclasses.replace(o, spare_workers=spare))
        self.runtime = runtime
        timings = self.timings
        with boot_log.phase(timings, "runtime_start_ms"):
            runtime.start()
        with boot_log.phase(timings, "check_handlers_ms"):
            if o.check_handlers is True:
                runtime.check_handlers()
            elif o.check_handlers:
                runtime.check_handlers(list(o.check_handlers))
        with boot_log.phase(timings, "api_console_start_ms"):
            if self.api is not None:
                self.api.use_runtime(runtime)
                self.api.start()
            if self.console is not None:
                self.console.start()
        timings["session_start_ms"] = (time.perf_counter() - t0) * 1000
        boot_log.record("session", o.stack_name, timings)

    def _console_sources(self) -> ConsoleSources:
        """What the console reads: the embedded AWS's endpoint, and through this session (once the
        runtime runs) the outbox, queue peeks and the mock config's test cases."""
        o = self.options

        def test_cases() -> dict[str, list[str]]:
            mock_config = self.runtime.mock_config if self.runtime is not None else None
            if mock_config is None:
                return {}
            return {machine: sorted(cases) for machine, cases in mock_config.test_cases.items()}

        def outbox() -> list[dict[str, Any]]:
            return self.runtime.outbox() if self.runtime is not None else []

        def peek_queue(name: str, limit: int) -> list[dict[str, Any]] | None:
            return self.runtime.peek_queue(name, limit) if self.runtime is not None else None

        return ConsoleSources(
            endpoint_url=f"http://127.0.0.1:{o.aws_port}",
            region=o.region,
            stack_name=o.stack_name,
            outbox=outbox,
            peek_queue=peek_queue,
            test_cases=test_cases,
        )

    def _stop(self) -> None:
        if self.console is not None:
            self.console.stop()
            self.console = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None
