"""The embedded AWS: moto's ThreadedMotoServer in this process, on 127.0.0.1:<aws_port>.

It speaks the real wire protocol (boto3/awscli with ``--endpoint-url`` or ``AWS_ENDPOINT_URL``).
Besides moto's own routes it serves ``GET /_orderflow/outbox`` (the SES outbox as JSON, see
:mod:`.outbox`) and ``GET /_orderflow/health``, so another process (the CLI) can read them.
"""

from __future__ import annotations

import contextlib
import errno
import io
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


_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class _KeepAliveHandler(_QuietHandler):
    """moto's request handler serving HTTP/1.1 keep-alive.

    werkzeug's dev server sends ``Connection: close`` on every response (it cannot drain an unread
    request body before the next request line), so each boto3 call paid a TCP connect and a new
    server thread, plus werkzeug's post-response drain (``select`` with a 10 ms timeout, holding the
    connection's thread). Here the request body is read in full before the app runs (the next
    request line is then the next thing on the socket) and the response is buffered and written in
    one send with its ``Content-Length``, so the connection stays open for the client's next
    request (boto3/urllib3 pool their connections). HTTP/1.0 clients and ``Connection: close``
    requests are still closed after the response (``BaseHTTPRequestHandler.parse_request``)."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.open_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.open_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        stream = environ["wsgi.input"]
        if environ.pop("wsgi.input_terminated", False):  # chunked: DechunkedInput reads to the end
            body = stream.read()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = stream.read(length) if length > 0 else b""
            if len(body) < length:
                raise ConnectionError("request body cut short")
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            self.environ = environ = self.make_environ()
        except (ConnectionError, OSError, ValueError):
            self.close_connection = True
            return
        response: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception as exc:  # what werkzeug does: a 500, the traceback in the log
            from werkzeug.debug.tbtools import DebugTraceback

            self.server.log("error", f"Error on request:\n{DebugTraceback(exc).render_traceback_text()}")
            response[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")]]
            chunks = [b"Internal Server Error"]
        status, headers = response
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        body = b"".join(chunks)
        self.send_response(code, message)
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP or (key.lower() == "content-length" and self.command == "HEAD"):
                self.send_header(key, value)
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        else:
            body = b""
        if self.close_connection:
            self.send_header("Connection", "close")
        buffered: list[bytes] = self.__dict__.pop("_headers_buffer", [])  # what end_headers() would send
        self.wfile.write(
            b"".join(buffered) + b"\r\n" + body
        )  # one send: no Nagle/delayed-ACK stall between head and body


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
                self._ip_address, self._port, self._app(), threaded=True, request_handler=_KeepAliveHandler
            )
            self._server.open_connections = set()  # type: ignore[attr-defined]
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
            for connection in list(self._server.open_connections):  # type: ignore[attr-defined]
                with contextlib.suppress(OSError):  # idle keep-alive connections: end their threads
                    connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
