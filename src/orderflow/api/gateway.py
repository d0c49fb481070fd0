"""The local API Gateway: a WSGI app in front of ``invoke(function_name, event)``, served by
:mod:`orderflow.wsgi_server`.

Generic: the routes come from the runtime (the template's ``Api`` events, matched by werkzeug's
routing, see :mod:`.routing`), never from here. Each route is served at ``/<stage>/path`` and at
``/path``.

Where API Gateway itself answers, this server answers the same way, with two documented
differences: an unknown path is ``404 {"message": "..."}`` and a known path with the wrong method
is ``405`` with an ``Allow`` header (API Gateway says ``403 Missing Authentication Token`` for
both, which hides the mistake during development).

- function error, crash, or malformed proxy response -> ``502 {"message": "Internal server error"}``
- no answer within the integration timeout (29 s, API Gateway's) -> ``504``; with the runtime
  (``for_runtime``) the function's own Timeout bounds the request instead (the runtime kills a
  worker that overruns it), so no watchdog thread is spent per request
- body over 10 MB -> ``413``; request line over 16 KiB -> ``414``; more than 100 header lines or
  over 64 KiB of them -> ``431``; a malformed request -> ``400`` (all JSON ``{"message": ...}``,
  answered by the HTTP server, see :class:`orderflow.wsgi_server.Limits`)
- ``access_log`` gets one line per request the app answers: ``METHOD /path STATUS 1.2 ms -> Function``
- once :meth:`ApiServer.refuse_new` was called (the runtime is stopping), every new request ->
  ``503 {"message": ...}`` with ``Retry-After``; requests already in flight finish (``in_flight``)
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request

from orderflow.api.events import (
    LOCAL_ACCOUNT_ID,
    HttpRequest,
    HttpResponse,
    MalformedProxyResponse,
    build_event,
    json_error,
    parse_proxy_response,
)
from orderflow.api.http_events import build_event_v2, parse_v2_response
from orderflow.api.mapping import MappingContext
from orderflow.api.routing import Match, RouteLike, RouteTable
from orderflow.api.states import call_states
from orderflow.wsgi_server import RAW_HEADERS_KEY, Limits, WsgiServer

log = logging.getLogger("orderflow.api")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
INTEGRATION_TIMEOUT_S = 29.0  # API Gateway's default integration timeout
SOCKET_TIMEOUT_S = 60.0  # a client that stops sending (or an idle keep-alive) frees its thread

InvokeFn = Callable[[str, dict[str, Any]], Any]


def _payload_and_error(result: Any) -> tuple[Any, str | None]:
    """Accepts the runtime's InvokeResult (payload, function_error) or a bare payload."""
    if hasattr(result, "payload"):
        return result.payload, getattr(result, "function_error", None)
    return result, None


class ApiServer(WsgiServer):
    """``with ApiServer(routes, invoke, stage="v1", port=0) as api: ... api.url``

    The HTTP side (``bind``/``start``/``stop``, ``port``, limits) is :class:`WsgiServer`'s."""

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
        states_client: Any = None,
    ) -> None:
        self.table = RouteTable(routes)
        self.invoke = invoke
        self.states_client = states_client  # a boto3 stepfunctions client, for Step Functions routes
        self.stage = stage
        self.api_id = api_id
        self.account_id = account_id
        self.max_body_bytes = max_body_bytes
        self.integration_timeout = integration_timeout
        self.access_log = access_log
        # AWS/ApiGateway metrics of each request (see runtime/service_metrics.py), when serving a runtime
        self.on_request: Callable[[str, str | None, int, float, float | None], None] | None = None
        self._integration = threading.local()
        self._refusal: str | None = None  # the 503's message, once the runtime is stopping
        self._retry_after = 5
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.on_request_done: Callable[[], None] | None = None  # e.g. the runtime's drain looks again
        super().__init__(
            self.wsgi_app,
            host=host,
            port=port,
            limits=Limits(max_body_bytes=max_body_bytes, idle_timeout_s=socket_timeout),
            name="orderflow-api",
            server_header="orderflow-local-apigw",
            on_rejected=self._log_rejected,
        )

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
        if any(getattr(route, "integration", None) is not None for route in runtime.routes):
            self.states_client = runtime.client("stepfunctions")
        metrics = getattr(runtime, "service_metrics", None)
        self.on_request = metrics.api_request if metrics is not None else None
        if stage:
            self.stage = getattr(runtime, "api_stage", None)
        if api_id:
            kinds = getattr(runtime, "resource_types", None) or {}
            for logical_id, physical_id in (getattr(runtime, "resources", None) or {}).items():
                if kinds.get(logical_id, "AWS::ApiGateway::RestApi") != "AWS::ApiGateway::RestApi":
                    continue  # an HTTP API's routes carry their own API id
                if logical_id.endswith("Api") and isinstance(physical_id, str) and "/" not in physical_id:
                    self.api_id = physical_id
                    break

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The stage URL, like the stack's ApiUrl output: http://127.0.0.1:3000/v1/"""
        return f"{self.base_url}/{self.stage}/" if self.stage else f"{self.base_url}/"

    # ------------------------------------------------------------------ stopping
    def refuse_new(self, message: str, retry_after_s: int) -> None:
        """From now on every new request is answered 503 (JSON, ``Retry-After``); those in flight go on."""
        self._retry_after = retry_after_s
        self._refusal = message

    def in_flight(self) -> int:
        """How many requests the app is answering now."""
        with self._in_flight_lock:
            return self._in_flight

    # ------------------------------------------------------------------ request handling
    def _log_rejected(self, method: str, target: str, status: int) -> None:
        if self.access_log is not None:
            self.access_log(f"{method} {target[:200]} {status} - (rejected by the HTTP server)")

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._refusal is not None:
            return self._refused(environ, start_response, self._refusal)
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            return self._answer(environ, start_response)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
            if self.on_request_done is not None:
                self.on_request_done()

    def _refused(
        self, environ: dict[str, Any], start_response: Callable[..., Any], message: str
    ) -> Iterable[bytes]:
        response = json_error(503, message, [("Retry-After", str(self._retry_after))])
        start_response(f"503 {_reason(503)}", [*response.headers, ("x-amzn-RequestId", str(uuid.uuid4()))])
        if self.access_log is not None:
            raw_uri = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
            self.access_log(f"{environ['REQUEST_METHOD']} {raw_uri} 503 - (the runtime is stopping)")
        return [response.body]

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path = raw_uri.partition("?")[0] or "/"
        headers = environ.get(RAW_HEADERS_KEY)
        if headers is None:  # another WSGI server: names as werkzeug spells them
            headers = list(Request(environ).headers.items())
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = HttpRequest(
            method=environ["REQUEST_METHOD"],
            path=path,
            query=environ.get("QUERY_STRING", ""),
            headers=list(headers),
            body=environ["wsgi.input"].read(length) if length > 0 else b"",
            source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
        )
        self._integration.ms = None
        response, function_name = self.handle(request)
        if self.on_request is not None:
            latency = (time.perf_counter() - started) * 1000
            self.on_request(self.api_id, self.stage, response.status, latency, self._integration.ms)
        names = {name.lower() for name, _ in response.headers}
        out_headers = list(response.headers)
        if "x-amzn-requestid" not in names:
            out_headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
        start_response(f"{response.status} {_reason(response.status)}", out_headers)
        if self.access_log is not None:
            elapsed = (time.perf_counter() - started) * 1000
            target_name = f" -> {function_name}" if function_name else ""
            self.access_log(f"{request.method} {raw_uri} {response.status} {elapsed:.1f} ms{target_name}")
        return [response.body]

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
            if match is not None and match.route.http_api is not None:
                if candidate != path:  # an HTTP API's paths hold its own stage, not the REST one
                    continue
                http_stage = match.route.http_api.stage
                prefix = "" if http_stage == "$default" else f"/{http_stage}"
                return match, path[len(prefix) :] or "/", http_stage, []
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
        integration = getattr(match.route, "integration", None)
        if integration is not None:
            return self._states(integration, request, match, path, stage), None
        function_name = match.route.function_name
        http_api = match.route.http_api
        if http_api is not None and http_api.payload_version == "2.0":
            event = build_event_v2(
                request,
                route_key=http_api.route_key,
                path_parameters=match.path_parameters,
                stage=stage,
                api_id=http_api.api_id,
                account_id=self.account_id,
            )
        else:
            event = build_event(
                request,
                resource=match.route.resource,
                path=path,
                path_parameters=match.path_parameters,
                stage=stage,
                api_id=http_api.api_id if http_api is not None else self.api_id,
                account_id=self.account_id,
            )
            if http_api is not None:  # payload format 1.0 on an HTTP API: the REST event, versioned
                event = {"version": "1.0", **event}
        invoked = time.perf_counter()
        outcome = self._invoke(function_name, event)
        self._integration.ms = (time.perf_counter() - invoked) * 1000
        if isinstance(outcome, HttpResponse):
            return outcome, function_name
        payload, function_error = _payload_and_error(outcome)
        if function_error:
            log.warning("%s failed (%s): %s", function_name, function_error, _short(payload))
            return json_error(502, "Internal server error"), function_name
        try:
            if http_api is not None and http_api.payload_version == "2.0":
                return parse_v2_response(payload), function_name
            return parse_proxy_response(payload), function_name
        except MalformedProxyResponse as exc:
            log.warning("%s returned a malformed proxy response: %s", function_name, exc)
            return json_error(502, "Internal server error"), function_name

    def _states(
        self, integration: Any, request: HttpRequest, match: Match, path: str, stage: str
    ) -> HttpResponse:
        """A Step Functions integration (see :mod:`.states`): through ``states_client``."""
        if self.states_client is None:
            return json_error(500, "Internal server error (no Step Functions client)")
        started = time.perf_counter()
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        ctx = MappingContext(
            body=request.body,
            path_parameters=match.path_parameters,
            query=query,
            headers={name.lower(): value for name, value in request.headers},
            context={
                "requestId": str(uuid.uuid4()),
                "stage": stage,
                "httpMethod": request.method,
                "resourcePath": match.route.resource,
                "path": request.path,
                "identity.sourceIp": request.source_ip,
                "requestTimeEpoch": str(int(time.time() * 1000)),
                "accountId": self.account_id,
                "apiId": self.api_id,
            },
        )
        response = call_states(integration, request, ctx, self.states_client)
        self._integration.ms = (time.perf_counter() - started) * 1000
        return response

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


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def default_access_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
