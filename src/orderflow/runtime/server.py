"""The embedded AWS: moto's ThreadedMotoServer in this process, on 127.0.0.1:<aws_port>.

It speaks the real wire protocol (boto3/awscli with ``--endpoint-url`` or ``AWS_ENDPOINT_URL``).
Besides moto's own routes it serves ``GET /_orderflow/outbox`` (the SES outbox as JSON, see
:mod:`.outbox`) and ``GET /_orderflow/health``, so another process (the CLI) can read them.
"""

from __future__ import annotations

import errno
import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from .model import RuntimeStartError

ExtraRoutes = dict[str, Callable[[], Any]]


def ensure_port_free(port: int, host: str = "127.0.0.1") -> None:
    """RuntimeStartError("port N is already in use") if something listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise RuntimeStartError(f"port {port} is already in use") from exc
            raise RuntimeStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:  # one line per AWS call is noise
        return None


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a Host (a pure function of the host that
    moto recomputes - a regex scan over every service - on each request)."""

    def __init__(self, create_app: Callable[..., Any]):
        super().__init__(create_app)
        self._backend_for_host: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backend_for_host[host]
        except KeyError:
            backend = self._backend_for_host[host] = super().get_backend_for_host(host)
            return backend


class EmbeddedAws(ThreadedMotoServer):
    """ThreadedMotoServer whose socket is bound in the caller's thread (a bind error raises here
    instead of hanging ``start()``), with a few extra JSON routes under ``/_orderflow/``."""

    def __init__(self, port: int, extra_routes: ExtraRoutes, host: str = "127.0.0.1"):
        super().__init__(ip_address=host, port=port, verbose=False)
        self._extra_routes = extra_routes

    def _app(self) -> Callable[..., Iterable[bytes]]:
        moto_app = _Dispatcher(create_backend_app)
        routes = self._extra_routes

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path.startswith("/_orderflow/") and environ.get("REQUEST_METHOD") == "GET":
                handler = routes.get(path[len("/_orderflow/") :])
                if handler is None:
                    start_response("404 Not Found", [("Content-Type", "application/json")])
                    return [b'{"message": "not found"}']
                body = json.dumps(handler(), default=str).encode("utf-8")
                start_response("200 OK", [("Content-Type", "application/json")])
                return [body]
            return moto_app(environ, start_response)

        return app

    def start(self) -> None:
        try:
            self._server = make_server(
                self._ip_address, self._port, self._app(), threaded=True, request_handler=_QuietHandler
            )
        except OSError as exc:
            raise RuntimeStartError(f"port {self._port} is already in use") from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"embedded-aws-{self._port}", daemon=True
        )
        self._thread.start()
        self._server_ready_event.set()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
