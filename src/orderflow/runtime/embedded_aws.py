"""The embedded AWS: moto's WSGI app in this process, served on 127.0.0.1:<aws_port>.

It speaks the real wire protocol (boto3/awscli with ``--endpoint-url`` or ``AWS_ENDPOINT_URL``).
Besides moto's own routes it serves ``GET /_orderflow/outbox`` (the SES outbox as JSON, see
:mod:`.outbox`) and ``GET /_orderflow/health``, so another process (the CLI) can read them.

The HTTP side is :mod:`orderflow.wsgi_server` (keep-alive, JSON errors, limits below); moto's WSGI
app (its dispatcher, its per-service Flask apps, its request-handler customizations) comes from
:mod:`orderflow.runtime.moto.server`.
"""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config

from orderflow.wsgi_server import Limits, WsgiServer

from .browser_guard import guarded
from .faults import FaultEngine
from .faults import middleware as fault_middleware
from .model import RuntimeStartError
from .moto.server import moto_wsgi_app
from .persistence import RequestGate, passes_gate
from .stopping import Stopping, new_work, refusal

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def client(endpoint_url: str, region: str, service: str, **config: Any) -> Any:
    """A boto3 client for the embedded AWS at ``endpoint_url`` (``config``: botocore Config options
    on top of one attempt and no host prefix)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(**{"retries": {"max_attempts": 1}, "inject_host_prefix": False, **config}),
    )


ExtraRoutes = dict[str, Callable[[], Any]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# ``/_orderflow/faults``: (method, body) -> (HTTP status, JSON answer); see Runtime.faults_route.
FaultsRoute = Callable[[str, bytes], tuple[int, Any]]

# Generous: a DynamoDB request is at most 16 MB, an SQS message 1 MiB, but S3 PutObject can be big
# (the body is held in memory either way). Long request lines for S3 presigned URLs and query-protocol
# GETs; more header lines for S3 object metadata.
AWS_LIMITS = Limits(
    max_request_line=64 * 1024,
    max_header_line=64 * 1024,
    max_header_count=200,
    max_header_bytes=256 * 1024,
    max_body_bytes=1024 * 1024 * 1024,
    idle_timeout_s=300.0,
)


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


_STATUS = {200: "200 OK", 400: "400 Bad Request", 405: "405 Method Not Allowed"}


def aws_app(
    extra_routes: ExtraRoutes,
    faults: FaultEngine | None = None,
    faults_route: FaultsRoute | None = None,
    post_routes: ExtraRoutes | None = None,
    gate: RequestGate | None = None,
    stopping: Stopping | None = None,
    metering: Callable[[WsgiApp], WsgiApp] | None = None,
) -> Callable[..., Iterable[bytes]]:
    """moto's WSGI app (behind the fault injection of ``faults``) plus the ``/_orderflow/<name>``
    JSON routes (GET: ``extra_routes``, POST: ``post_routes``), ``/_orderflow/faults`` with
    GET/PUT/DELETE; moto's requests pass ``gate`` (a state snapshot holds them back) and ``metering``
    (in front of the fault injection: it sees an injected fault as the caller does). Once
    ``stopping`` has begun, requests that start new work are answered 503 (see :mod:`.stopping`)."""
    moto_app = moto_wsgi_app() if faults is None else fault_middleware(moto_wsgi_app(), faults)
    if metering is not None:
        moto_app = metering(moto_app)
    post_routes = post_routes or {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path == "/_orderflow/faults" and faults_route is not None:
            method = environ.get("REQUEST_METHOD", "GET")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            status, answer = faults_route(method, environ["wsgi.input"].read(length) if length > 0 else b"")
            body = json.dumps(answer, default=str).encode("utf-8")
            start_response(_STATUS.get(status, f"{status} Error"), [("Content-Type", "application/json")])
            return [body]
        if path.startswith("/_orderflow/") and method in ("GET", "POST"):
            routes = extra_routes if method == "GET" else post_routes
            handler = routes.get(path[len("/_orderflow/") :])
            if handler is None:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"message": "not found"}']
            body = json.dumps(handler(), default=str).encode("utf-8")
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if stopping is not None and stopping.begun and new_work(environ):
            wire = refusal()
            headers = [*wire.headers, ("Content-Length", str(len(wire.body)))]
            start_response("503 Service Unavailable", headers)
            return [wire.body]
        if gate is None or not passes_gate(environ):
            return moto_app(environ, start_response)
        with gate.request():
            return list(moto_app(environ, start_response))

    return app


class EmbeddedAws:
    """moto on ``host:port``, behind :mod:`.browser_guard` (web pages are refused, moto's state-changing
    admin routes need ``admin_token``); ``start()`` binds in the caller's thread (a port in use raises
    RuntimeStartError there instead of hanging), ``stop()`` closes every connection."""

    def __init__(
        self,
        port: int,
        extra_routes: ExtraRoutes,
        host: str = "127.0.0.1",
        *,
        admin_token: str,
        allowed_origins: Iterable[str] = (),
        faults: FaultEngine | None = None,
        faults_route: FaultsRoute | None = None,
        post_routes: ExtraRoutes | None = None,
        gate: RequestGate | None = None,
        stopping: Stopping | None = None,
        metering: Callable[[WsgiApp], WsgiApp] | None = None,
    ):
        self._port = port
        self._server = WsgiServer(
            guarded(
                aws_app(extra_routes, faults, faults_route, post_routes, gate, stopping, metering),
                allowed_origins=allowed_origins,
                admin_token=admin_token,
            ),
            host=host,
            port=port,
            limits=AWS_LIMITS,
            name=f"embedded-aws-{port}",
            server_header="orderflow-embedded-aws",
        )

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        try:
            self._server.start()
        except OSError as exc:
            raise RuntimeStartError(f"port {self._port} is already in use") from exc

    def stop(self) -> None:
        self._server.stop()
