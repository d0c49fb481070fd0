"""`orderflow up` as a process, with chosen calls held at a gate: the real CLI (its signal handling,
its stop), the real template, and orders held at exact points instead of timing luck.

    python -m tests.e2e.held_up HOLDS_JSON up --template ... (orderflow up's own arguments)

HOLDS_JSON maps a key (an order id) to ``[where, when]``. ``where`` is either a function's logical id
(``WriteOrderFunction``): the state machine's first invocation of it whose event names the key is
held ``before`` it reaches the function, or ``after`` the function answered (its answer held); or an
AWS operation (``StartExecution``): the first request to the embedded AWS whose ``X-Amz-Target`` ends
with ``.<operation>`` and whose body names the key, held before it reaches the service. Each hold
prints ``held <key>`` on stdout (after orderflow's ``orderflow ready`` line); a line ``release <key>``
on stdin lets it go. A hold never released stays held until the process ends: the stop meets it in
flight, as it meets a slow function.

A held invocation occupies no function worker (it waits before or after one), so no function Timeout
ends it; the Task states' own TimeoutSeconds (real time) would, so in this process they are an hour.
So is the local API's integration timeout (API Gateway's 29 s, real time, counted from the request and
so including the function's cold start): with up to 8 OrdersApi workers and the workflow's functions
starting cold on a loaded 2-core machine, an order the test expects acknowledged could otherwise be
answered 504. A POST held inside the API (its StartExecution held) still ends without a 202: the
OrdersApi function's own Timeout (28 s, the runtime kills its worker: 502) or the stop (which closes
its connection and kills the worker) ends it, whichever comes first.
"""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

from orderflow import cli, session
from orderflow.api import ApiServer
from orderflow.runtime import embedded_aws
from orderflow.runtime.patch_hooks import RuntimeHooks

HOUR_S = 3600

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class HourApiServer(ApiServer):
    """The session's local API, with an integration timeout of an hour unless one is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("integration_timeout", HOUR_S)
        super().__init__(*args, **kwargs)


class Holds:
    def __init__(self, holds: dict[str, list[str]]) -> None:
        self.pending = {key: (operation, when) for key, (operation, when) in holds.items()}
        self.released = {key: threading.Event() for key in holds}
        self.lock = threading.Lock()

    def match(self, where: str, body: bytes) -> tuple[str, str] | None:
        with self.lock:
            for key, (place, when) in self.pending.items():
                if where == place and key.encode() in body:
                    del self.pending[key]
                    return key, when
        return None

    def hold(self, key: str) -> None:
        with self.lock:  # one whole line at a time
            sys.stdout.write(f"held {key}\n")
            sys.stdout.flush()
        self.released[key].wait()

    def listen(self) -> None:
        for line in sys.stdin:
            command, _, key = line.strip().partition(" ")
            if command == "release" and key in self.released:
                self.released[key].set()

    def wrap(self, app: WsgiApp) -> WsgiApp:
        def held(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
            found = self.match(operation, body)
            if found is not None:
                self.hold(found[0])
            return app(environ, start_response)

        return held

    def wrap_invoke(self, invoke: Callable[..., Any]) -> Callable[..., Any]:
        def held(
            hooks: RuntimeHooks,
            function_name: str,
            event: Any,
            invocation_type: str,
            request_id: str | None = None,
        ) -> Any:
            logical = hooks.functions_by_name().get(function_name, function_name)
            body = event if isinstance(event, bytes) else json.dumps(event, default=str).encode()
            found = self.match(logical, body)
            if found is None:
                return invoke(hooks, function_name, event, invocation_type, request_id)
            key, when = found
            if when == "before":
                self.hold(key)
                return invoke(hooks, function_name, event, invocation_type, request_id)
            answer = invoke(hooks, function_name, event, invocation_type, request_id)
            self.hold(key)
            return answer

        return held


def main(argv: list[str]) -> int:
    holds = Holds(json.loads(argv[0]))
    original = embedded_aws.aws_app

    def aws_app(*args: Any, **kwargs: Any) -> WsgiApp:
        return holds.wrap(original(*args, **kwargs))

    embedded_aws.aws_app = aws_app  # type: ignore[assignment]
    RuntimeHooks.invoke_function = holds.wrap_invoke(RuntimeHooks.invoke_function)  # type: ignore[method-assign]
    seconds = TimeoutSeconds._eval_seconds
    TimeoutSeconds._eval_seconds = lambda self, env: max(seconds(self, env), HOUR_S)  # type: ignore[method-assign]
    # the session builds its ApiServer by this module-global name (the default argument, 29 s, was
    # bound when ApiServer.__init__ was defined: changing INTEGRATION_TIMEOUT_S would not reach it)
    session.ApiServer = HourApiServer  # type: ignore[misc]
    threading.Thread(target=holds.listen, daemon=True).start()
    return cli.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
