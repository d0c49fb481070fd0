"""The local API Gateway: a threaded HTTP server in front of ``invoke(function_name, event)``.

Generic: the routes come from the runtime (the template's ``Api`` events), never from here. Each
route is served at ``/<stage>/path`` and at ``/path``.

Where API Gateway itself answers, this server answers the same way, with two documented
differences: an unknown path is ``404 {"message": "..."}`` and a known path with the wrong method
is ``405`` with an ``Allow`` header (API Gateway says ``403 Missing Authentication Token`` for
both, which hides the mistake during development).

- function error, crash, or malformed proxy response -> ``502 {"message": "Internal server error"}``
- no answer within the integration timeout (29 s, API Gateway's) -> ``504``; with the runtime
  (``for_runtime``) the function's own Timeout bounds the request instead (the runtime kills a
  worker that overruns it), so no watchdog thread is spent per request
- body over 10 MB -> ``413``
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from orderflow.api.events import (
    LOCAL_ACCOUNT_ID,
    HttpRequest,
    HttpResponse,
    MalformedProxyResponse,
    build_event,
    json_error,
    parse_proxy_response,
)
from orderflow.api.routing import Match, RouteLike, RouteTable

log = logging.getLogger("orderflow.api")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
INTEGRATION_TIMEOUT_S = 29.0  # API Gateway's default integration timeout
SOCKET_TIMEOUT_S = 60.0  # a client that stops sending (or an idle keep-alive) frees its thread
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

InvokeFn = Callable[[str, dict[str, Any]], Any]


class _BodyTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


def _payload_and_error(result: Any) -> tuple[Any, str | None]:
    """Accepts the runtime's InvokeResult (payload, function_error) or a bare payload."""
    if hasattr(result, "payload"):
        return result.payload, getattr(result, "function_error", None)
    return result, None


class ApiServer:
    """``with ApiServer(routes, invoke, stage="v1", port=0) as api: ... api.url``"""

    def __init__(
        self,
        routes: list[RouteLike],
        invoke: InvokeFn,
        *,
        stage: str | None = None,
        host: str = "127.0.0.1",
        port: int = 3000,
        api_id: str = "local",
        account_id: str = LOCAL_ACCOUNT_ID,
        max_body_bytes: int = MAX_BODY_BYTES,
        integration_timeout: float | None = INTEGRATION_TIMEOUT_S,
        socket_timeout: float = SOCKET_TIMEOUT_S,
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        self.table = RouteTable(routes)
        self.invoke = invoke
        self.stage = stage
        self.host = host
        self.api_id = api_id
        self.account_id = account_id
        self.max_body_bytes = max_body_bytes
        self.integration_timeout = integration_timeout
        self.access_log = access_log
        self._requested_port = port
        self._socket_timeout = socket_timeout
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_runtime(cls, runtime: Any, **kwargs: Any) -> ApiServer:
        """A server for a started ``orderflow.runtime.Runtime`` (its routes, stage and invoke)."""
        # The runtime enforces each function's Timeout itself (it kills the worker): the request
        # thread calls it directly, without a watchdog thread per request.
        kwargs.setdefault("integration_timeout", None)
        server = cls([], runtime.invoke, **kwargs)
        server.use_runtime(runtime, stage="stage" not in kwargs, api_id="api_id" not in kwargs)
        return server

    def use_runtime(self, runtime: Any, *, stage: bool = True, api_id: bool = True) -> None:
        """Serve ``runtime``'s routes through its invoke (also after ``bind()``: claim the port first)."""
        self.table = RouteTable(list(runtime.routes))
        self.invoke = runtime.invoke
        if stage:
            self.stage = getattr(runtime, "api_stage", None)
        if api_id:
            for logical_id, physical_id in (getattr(runtime, "resources", None) or {}).items():
                if logical_id.endswith("Api") and isinstance(physical_id, str) and "/" not in physical_id:
                    self.api_id = physical_id
                    break

    # ------------------------------------------------------------------ lifecycle
    def bind(self) -> None:
        """Claim the port now (raises OSError if taken) without serving yet."""
        if self._httpd is not None:
            return
        handler = type("_BoundHandler", (_Handler,), {"api": self, "timeout": self._socket_timeout})
        httpd = ThreadingHTTPServer((self.host, self._requested_port), handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.request_queue_size = 128
        try:
            httpd.server_bind()
            httpd.server_activate()
        except OSError:
            httpd.server_close()
            raise
        self._httpd = httpd

    def start(self) -> None:
        self.bind()
        assert self._httpd is not None
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="orderflow-api",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd = None

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._requested_port
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The stage URL, like the stack's ApiUrl output: http://127.0.0.1:3000/v1/"""
        return f"{self.base_url}/{self.stage}/" if self.stage else f"{self.base_url}/"

    # ------------------------------------------------------------------ request handling
    def resolve(self, method: str, path: str) -> tuple[Match | None, str, str, list[str]]:
        """(match, path without stage, stage, allowed methods)."""
        stage = self.stage or "$default"
        candidates: list[str] = []
        if self.stage:
            prefix = f"/{self.stage}"
            if path == prefix or path.startswith(prefix + "/"):
                candidates.append(path[len(prefix) :] or "/")
        candidates.append(path)
        allowed: list[str] = []
        for candidate in candidates:
            match, methods = self.table.resolve(method, candidate)
            if match is not None:
                return match, candidate, stage, []
            allowed.extend(m for m in methods if m not in allowed)
        return None, candidates[0], stage, allowed

    def handle(self, request: HttpRequest) -> tuple[HttpResponse, str | None]:
        """The HTTP response for ``request`` and the function that served it (None if none)."""
        match, path, stage, allowed = self.resolve(request.method, request.path)
        if match is None:
            if allowed:
                return (
                    json_error(
                        405,
                        f"method {request.method} not allowed on {path}",
                        [("Allow", ", ".join(sorted(allowed)))],
                    ),
                    None,
                )
            return json_error(404, f"no route for {request.method} {request.path}"), None
        function_name = match.route.function_name
        event = build_event(
            request,
            resource=match.route.resource,
            path=path,
            path_parameters=match.path_parameters,
            stage=stage,
            api_id=self.api_id,
            account_id=self.account_id,
        )
        outcome = self._invoke(function_name, event)
        if isinstance(outcome, HttpResponse):
            return outcome, function_name
        payload, function_error = _payload_and_error(outcome)
        if function_error:
            log.warning("%s failed (%s): %s", function_name, function_error, _short(payload))
            return json_error(502, "Internal server error"), function_name
        try:
            return parse_proxy_response(payload), function_name
        except MalformedProxyResponse as exc:
            log.warning("%s returned a malformed proxy response: %s", function_name, exc)
            return json_error(502, "Internal server error"), function_name

    def _invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        if self.integration_timeout is None:
            try:
                return self.invoke(function_name, event)
            except Exception as exc:
                log.warning("invoking %s raised %r", function_name, exc)
                return json_error(502, "Internal server error")
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = self.invoke(function_name, event)
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"invoke-{function_name}", daemon=True)
        worker.start()
        worker.join(self.integration_timeout)
        if worker.is_alive():
            log.warning("%s did not answer within %.0f s", function_name, self.integration_timeout)
            return json_error(504, "Endpoint request timed out")
        if "error" in box:
            log.warning("invoking %s raised %r", function_name, box["error"])
            return json_error(502, "Internal server error")
        return box["result"]


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class _Handler(BaseHTTPRequestHandler):
    api: ApiServer  # set on the per-server subclass
    protocol_version = "HTTP/1.1"
    server_version = "orderflow-local-apigw"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # silence the stdlib's stderr log
        log.debug(format, *args)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        function_name: str | None = None
        try:
            try:
                body = self._read_body()
            except _BodyTooLarge:
                self.close_connection = True
                response = json_error(413, "Request Too Long")
            except _BadRequest as exc:
                self.close_connection = True
                response = json_error(400, str(exc))
            else:
                target = urlsplit(self.path)
                request = HttpRequest(
                    method=self.command,
                    path=target.path or "/",
                    query=target.query,
                    headers=list(self.headers.items()),
                    body=body,
                    source_ip=self.client_address[0],
                )
                response, function_name = self.api.handle(request)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        except Exception:
            log.exception("local API: unexpected error")
            response = json_error(500, "Internal server error")
        self._send(response)
        if self.api.access_log is not None:
            elapsed = (time.perf_counter() - started) * 1000
            target_name = f" -> {function_name}" if function_name else ""
            self.api.access_log(f"{self.command} {self.path} {response.status} {elapsed:.1f} ms{target_name}")

    def _read_body(self) -> bytes:
        limit = self.api.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            raise _BadRequest("invalid Content-Length") from None
        if length < 0:
            raise _BadRequest("invalid Content-Length")
        if length > limit:
            raise _BodyTooLarge
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequest("invalid chunked encoding") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > limit:
                raise _BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, response: HttpResponse) -> None:
        try:
            self.send_response(response.status)
            request_id = str(uuid.uuid4())
            names = set()
            for name, value in response.headers:
                names.add(name.lower())
                if name.lower() in ("content-length", "transfer-encoding", "connection"):
                    continue
                self.send_header(name, value)
            if "x-amzn-requestid" not in names:
                self.send_header("x-amzn-RequestId", request_id)
            no_body = response.status in (204, 304) or 100 <= response.status < 200
            if not no_body:
                self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # Headers and body in one write: two small writes meet Nagle + delayed ACK (40 ms).
            buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]
            buffer.append(b"\r\n")
            if response.body and not no_body and self.command != "HEAD":
                buffer.append(response.body)
            self.flush_headers()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


def default_access_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
