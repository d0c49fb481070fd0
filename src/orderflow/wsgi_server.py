"""orderflow's one HTTP/1.1 server: a WSGI app on 127.0.0.1, for the embedded AWS and the local API.

``WsgiServer(app, port=..., limits=Limits(...)).start()`` ... ``.stop()``

- HTTP/1.1 keep-alive (boto3/urllib3 and ``http.client`` pool their connections); HTTP/1.0 clients
  and ``Connection: close`` requests are closed after the response. TCP_NODELAY; one thread per
  connection.
- The request body is read in full before the app runs (``Content-Length`` or chunked; the app gets
  it as ``wsgi.input`` with ``CONTENT_LENGTH`` and ``wsgi.input_terminated``), so the next request
  line is the next thing on the socket. The response is buffered and sent in one write with its
  ``Content-Length`` (two small writes meet Nagle + delayed ACK: 40 ms).
- ``bind()`` (also done by ``start()``) claims the port in the caller's thread: a port in use raises
  ``OSError`` there. ``stop()`` stops accepting and shuts down every open connection, idle
  keep-alive ones included, so their threads end.
- Every error the server answers itself is JSON ``{"message": ...}``:

  ======================================================  ======  =======================
  what                                                    status  connection
  ======================================================  ======  =======================
  malformed request line, header line, chunked framing,   400     closed
  Content-Length; HTTP/0.9 or 2 framing
  request line longer than ``Limits.max_request_line``    414     closed
  more than ``max_header_count`` header lines, or a       431     closed
  header line / all of them longer than the limits
  body longer than ``max_body_bytes`` (answered before    413     closed
  reading it)
  the app raises (the traceback goes to the log only)     500     kept alive
  ======================================================  ======  =======================

The environ is what werkzeug's dev server builds (``PATH_INFO`` percent-decoded as latin-1 text,
``REQUEST_URI``/``RAW_URI`` as sent, header names with ``_`` left out of ``HTTP_*``) plus
``orderflow.headers``: the header lines as received (names' case kept, in order). It is built
directly from the request head, without ``http.server``'s email parser or werkzeug's dev-server
layers: this server sits under every AWS call of the runtime, and per-request CPU is its budget
(``bench/run.py``: per-request CPU and mocked executions/s phases).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import unquote_to_bytes

log = logging.getLogger("orderflow.wsgi_server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

RAW_HEADERS_KEY = "orderflow.headers"  # environ key: [(name, value), ...] as received


@dataclass(frozen=True)
class Limits:
    """What one request may be. The defaults are the local API's: API Gateway's 10 MB payload, a
    request line of 16 KiB (nginx's and Node's default head size is 8-16 KiB; API Gateway takes
    URLs up to ~10 KiB), 100 header lines (nginx/Node: 100 - 2000), 16 KiB per header line and
    64 KiB for all of them."""

    max_request_line: int = 16 * 1024
    max_header_line: int = 16 * 1024
    max_header_count: int = 100
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 10 * 1024 * 1024
    idle_timeout_s: float | None = 60.0  # a client that stops sending (or an idle keep-alive)


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Closed(Exception):
    """The client went away (EOF or timeout) before a complete request: close silently."""


_TOO_LARGE = "Request Header Fields Too Large"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_NO_BODY_STATUS = frozenset({204, 304})
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _DateCache:
    """The ``Date`` header, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._value = formatdate(second, usegmt=True)
            self._second = second
        return self._value


class WsgiServer:
    """Serves ``app`` on ``host:port`` (port 0: any free port, see ``.port``)."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        name: str = "orderflow-http",
        server_header: str = "orderflow",
        backlog: int = 128,
        on_rejected: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.limits = limits or Limits()
        self.name = name
        self.server_header = server_header
        self._requested_port = port
        self._backlog = backlog
        # (method, target, status) of each request the server answered itself with 400/413/414/431
        # ("-" where the request line was unreadable); the app never saw those (e.g. an access log)
        self.on_rejected = on_rejected
        self._listener: socket.socket | None = None
        self._bound_port = port
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._date = _DateCache()

    # ------------------------------------------------------------------ lifecycle
    def bind(self) -> None:
        """Claim the port now (``OSError`` if it is taken) without serving yet."""
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self._requested_port))
            listener.listen(self._backlog)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._bound_port = int(listener.getsockname()[1])
        self._stopping = False

    def start(self) -> None:
        self.bind()
        if self._thread is None:
            self._thread = threading.Thread(target=self._accept_loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop accepting and shut down every open connection (idle keep-alive ones too)."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping = True
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the requested one before ``bind()``)."""
        return self._bound_port

    @property
    def serving(self) -> bool:
        return self._thread is not None

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping:
            try:
                connection, address = listener.accept()
            except OSError:
                if self._stopping:
                    return
                time.sleep(0.01)  # e.g. EMFILE: do not spin
                continue
            with self._lock:
                self._connections.add(connection)
            threading.Thread(
                target=self._serve_connection,
                args=(connection, address),
                name=f"{self.name}-conn",
                daemon=True,
            ).start()

    # ------------------------------------------------------------------ one connection
    def _serve_connection(self, connection: socket.socket, address: tuple[str, int]) -> None:
        try:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.settimeout(self.limits.idle_timeout_s)
            rfile = connection.makefile("rb", buffering=65536)
            try:
                while not self._stopping and self._serve_one(connection, rfile, address):
                    pass
            finally:
                rfile.close()
        except (OSError, _Closed):
            pass  # reset, timed out, or shut down by stop()
        finally:
            with self._lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                connection.close()

    def _serve_one(self, connection: socket.socket, rfile: Any, address: tuple[str, int]) -> bool:
        """Read one request, answer it; False when the connection is to be closed."""
        head: list[str] = []  # method and target, once the request line is read
        try:
            request = self._read_request(connection, rfile, address, head)
        except _HttpError as error:
            if self.on_rejected is not None:  # logged before the answer: a client that has it sees the line
                method, target = head or ("-", "-")
                self.on_rejected(method, target, error.status)
            self._send_error(connection, error.status, error.message, close=True)
            return False
        if request is None:
            return False
        environ, keep_alive = request
        status, headers, body = self._call_app(environ)
        self._send(connection, environ["REQUEST_METHOD"], status, headers, body, keep_alive)
        return keep_alive

    def _read_request(
        self, connection: socket.socket, rfile: Any, address: tuple[str, int], head: list[str]
    ) -> tuple[dict[str, Any], bool] | None:
        limits = self.limits
        line = rfile.readline(limits.max_request_line + 1)
        skipped = 0
        while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before a request line
            skipped += 1
            if skipped > 8:
                raise _HttpError(400, "Bad Request: empty request line")
            line = rfile.readline(limits.max_request_line + 1)
        if not line:
            return None  # EOF between requests: the client closed an idle connection
        if len(line) > limits.max_request_line:
            raise _HttpError(
                414, f"URI Too Long: the request line is limited to {limits.max_request_line} bytes"
            )
        if not line.endswith(b"\n"):
            raise _Closed  # EOF in the middle of the request line
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise _HttpError(400, "Bad Request: malformed request line")
        method, target, version = parts
        head[:] = [method, target]
        if not set(method) <= _TOKEN_CHARS:
            raise _HttpError(400, "Bad Request: malformed method")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _HttpError(400, f"Bad Request: unsupported protocol version {version[:16]!r}")

        raw_headers: list[tuple[str, str]] = []
        total = 0
        while True:
            line = rfile.readline(limits.max_header_line + 1)
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise _Closed
            if len(line) > limits.max_header_line:
                raise _HttpError(
                    431, f"{_TOO_LARGE}: a header line is limited to {limits.max_header_line} bytes"
                )
            total += len(line)
            if total > limits.max_header_bytes:
                raise _HttpError(
                    431, f"{_TOO_LARGE}: the headers are limited to {limits.max_header_bytes} bytes"
                )
            if len(raw_headers) >= limits.max_header_count:
                raise _HttpError(431, f"{_TOO_LARGE}: at most {limits.max_header_count} header lines")
            text = line.decode("latin-1")
            name, colon, value = text.partition(":")
            if not colon or not name or not set(name) <= _TOKEN_CHARS:
                # also obs-fold (a line starting with whitespace), rejected as RFC 9112 5.2 allows
                raise _HttpError(400, "Bad Request: malformed header line")
            raw_headers.append((name, value.strip(" \t\r\n")))

        environ = self._environ(method, target, version, raw_headers, address)
        keep_alive = version == "HTTP/1.1"
        connection_header = environ.get("HTTP_CONNECTION")
        if connection_header is not None and "close" in connection_header.lower():
            keep_alive = False

        transfer_encoding = environ.pop("HTTP_TRANSFER_ENCODING", None)
        if transfer_encoding is not None:
            if transfer_encoding.strip().lower() != "chunked":
                raise _HttpError(
                    400, f"Bad Request: unsupported Transfer-Encoding {transfer_encoding[:32]!r}"
                )
            self._continue_if_expected(connection, environ)
            body = self._read_chunked(rfile)
        else:
            raw_length = environ.get("CONTENT_LENGTH")
            length = 0
            if raw_length:
                if not (raw_length.isascii() and raw_length.isdigit()):  # also a list like "5,5"
                    raise _HttpError(400, "Bad Request: invalid Content-Length")
                length = int(raw_length)
            if length > limits.max_body_bytes:
                raise _HttpError(
                    413, f"Request Too Long: the body is limited to {limits.max_body_bytes} bytes"
                )
            if length:
                self._continue_if_expected(connection, environ)
                body = rfile.read(length)
                if len(body) < length:
                    raise _Closed
            else:
                body = b""
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return environ, keep_alive

    def _environ(
        self,
        method: str,
        target: str,
        version: str,
        raw_headers: list[tuple[str, str]],
        address: tuple[str, int],
    ) -> dict[str, Any]:
        host = None
        if target.startswith(("http://", "https://")):  # absolute-form: its authority is the host
            _, _, rest = target.partition("//")
            host, slash, path = rest.partition("/")
            target = slash + path or "/"
        path, _, query = target.partition("?")
        path = path.partition("#")[0]
        path_info = unquote_to_bytes(path.encode("latin-1")).decode("latin-1") if "%" in path else path
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,  # the whole body is in wsgi.input
            "SERVER_SOFTWARE": self.server_header,
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "REMOTE_ADDR": address[0],
            "REMOTE_PORT": address[1],
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self._bound_port),
            "SERVER_PROTOCOL": version,
            RAW_HEADERS_KEY: raw_headers,
        }
        for name, value in raw_headers:
            if "_" in name:  # WSGI cannot tell X_Foo from X-Foo: left out, like werkzeug does
                continue
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in environ:
                if key == "CONTENT_LENGTH" and environ[key] != value:
                    raise _HttpError(400, "Bad Request: conflicting Content-Length headers")
                if key != "CONTENT_LENGTH":
                    value = f"{environ[key]},{value}"
            environ[key] = value
        if host is not None:
            environ["HTTP_HOST"] = host
        return environ

    def _continue_if_expected(self, connection: socket.socket, environ: dict[str, Any]) -> None:
        if environ.get("HTTP_EXPECT", "").strip().lower() == "100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_chunked(self, rfile: Any) -> bytes:
        limit = self.limits.max_body_bytes
        chunks: list[bytes] = []
        total = 0
        while True:
            line = rfile.readline(1024)
            if not line:
                raise _Closed
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _HttpError(400, "Bad Request: invalid chunked encoding") from None
            if size < 0:
                raise _HttpError(400, "Bad Request: invalid chunked encoding")
            if size == 0:
                for _ in range(self.limits.max_header_count + 1):  # trailers, ignored
                    trailer = rfile.readline(self.limits.max_header_line + 1)
                    if trailer in (b"\r\n", b"\n"):
                        return b"".join(chunks)
                    if not trailer:
                        raise _Closed
                raise _HttpError(431, "Request Header Fields Too Large: too many trailer lines")
            total += size
            if total > limit:
                raise _HttpError(413, f"Request Too Long: the body is limited to {limit} bytes")
            chunk = rfile.read(size)
            if len(chunk) < size:
                raise _Closed
            chunks.append(chunk)
            if rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _HttpError(400, "Bad Request: invalid chunked encoding")

    # ------------------------------------------------------------------ the app and the response
    def _call_app(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        response: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response[:] = [status, headers]
            return chunks.append

        try:
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if not response:
                raise RuntimeError("the WSGI app did not call start_response")
        except Exception:
            log.exception(
                "%s: error on %s %s", self.name, environ.get("REQUEST_METHOD"), environ.get("RAW_URI")
            )
            return _json_error(500, "Internal server error")
        return response[0], response[1], b"".join(chunks)

    def _send(
        self,
        connection: socket.socket,
        method: str,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        keep_alive: bool,
    ) -> None:
        code = int(status[:3])
        lines = [f"HTTP/1.1 {status}\r\n"]
        head_request = method == "HEAD"
        has_server = has_date = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in _HOP_BY_HOP and not (head_request and lowered == "content-length"):
                continue
            has_server = has_server or lowered == "server"
            has_date = has_date or lowered == "date"
            lines.append(f"{name}: {value}\r\n")
        if not has_server:  # the app's own Server and Date win, as in werkzeug's server
            lines.append(f"Server: {self.server_header}\r\n")
        if not has_date:
            lines.append(f"Date: {self._date.now()}\r\n")
        if code < 200 or code in _NO_BODY_STATUS:
            body = b""
        else:
            if not head_request:
                lines.append(f"Content-Length: {len(body)}\r\n")
            else:
                body = b""
        if not keep_alive:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        connection.sendall("".join(lines).encode("latin-1") + body)

    def _send_error(self, connection: socket.socket, status: int, message: str, *, close: bool) -> None:
        status_line, headers, body = _json_error(status, message)
        with contextlib.suppress(OSError):
            self._send(connection, "GET", status_line, headers, body, keep_alive=not close)
            if close:
                _lingering_close(connection)


def _lingering_close(
    connection: socket.socket, seconds: float = 1.0, max_bytes: int = 16 * 1024 * 1024
) -> None:
    """Close after an error answered before the request was read (e.g. 413): closing with unread
    data makes the kernel send a reset, which can destroy the response on its way to a client
    still sending its body. So: FIN after the response, then read and drop what still comes for a
    moment (RFC 9112 9.6)."""
    connection.shutdown(socket.SHUT_WR)
    connection.settimeout(0.2)
    deadline = time.monotonic() + seconds
    drained = 0
    while drained < max_bytes and time.monotonic() < deadline:
        data = connection.recv(65536)
        if not data:
            return
        drained += len(data)


def _json_error(status: int, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps({"message": message}).encode()
    return f"{status} {_REASONS.get(status, 'Error')}", [("Content-Type", "application/json")], body
