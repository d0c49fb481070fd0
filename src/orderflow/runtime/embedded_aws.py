"""The embedded AWS: moto's WSGI app in this process, served on 127.0.0.1:<aws_port>.

It speaks the real wire protocol (boto3/awscli with ``--endpoint-url`` or ``AWS_ENDPOINT_URL``).
Besides moto's own routes it serves ``GET /_orderflow/outbox`` (the SES outbox as JSON, see
:mod:`.outbox`) and ``GET /_orderflow/health``, so another process (the CLI) can read them.

The HTTP side is :mod:`orderflow.wsgi_server` (keep-alive, JSON errors, limits below). Everything
here that knows moto (its dispatcher, its per-service Flask apps, its request-handler customizations)
stays in this one module.
"""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from moto.moto_server.werkzeug_app import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    DomainDispatcherApplication,
    create_backend_app,
    environ_key_for_header,
    should_preserve_original_header_name,
)

from orderflow.wsgi_server import RAW_HEADERS_KEY, Limits, WsgiServer

from .model import RuntimeStartError

ExtraRoutes = dict[str, Callable[[], Any]]

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


def _create_backend_app(service: Any) -> Flask:
    """moto's per-service Flask app, out of Flask's debug mode: moto turns it on, and then Flask
    re-checks each request's form parsing (``debughelpers.attach_enctype_error_multidict``, ~3% of
    the CPU of an execution with mocked Tasks). Exceptions still propagate to the server (a JSON
    500 with the traceback in the log), as in debug mode."""
    app = create_backend_app(service)
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


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


def _preserve_underscored_headers(environ: dict[str, Any]) -> None:
    """What moto's ``MotoRequestHandler.make_environ`` adds to werkzeug's environ: S3 metadata
    headers with ``_`` in their names (which WSGI servers leave out) under their own spelling."""
    raw_headers: list[tuple[str, str]] = environ.get(RAW_HEADERS_KEY, [])
    names: dict[str, str] = {}
    if any("_" in name for name, _ in raw_headers):
        dashed_keys = {environ_key_for_header(name) for name, _ in raw_headers if "_" not in name}
        values: dict[str, list[str]] = {}
        for name, value in raw_headers:
            if not should_preserve_original_header_name(name):
                continue
            key = environ_key_for_header(name)
            if key in dashed_keys:  # never let an underscored header stand in for a dashed one
                continue
            names.setdefault(key, name)
            values.setdefault(key, []).append(value)
        for key, key_values in values.items():
            environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


def aws_app(extra_routes: ExtraRoutes) -> Callable[..., Iterable[bytes]]:
    """moto's WSGI app plus the ``/_orderflow/<name>`` JSON routes."""
    moto_app = _Dispatcher(_create_backend_app)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_orderflow/") and environ.get("REQUEST_METHOD") == "GET":
            handler = extra_routes.get(path[len("/_orderflow/") :])
            if handler is None:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"message": "not found"}']
            body = json.dumps(handler(), default=str).encode("utf-8")
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        _preserve_underscored_headers(environ)
        return moto_app(environ, start_response)

    return app


class EmbeddedAws:
    """moto on ``host:port``; ``start()`` binds in the caller's thread (a port in use raises
    RuntimeStartError there instead of hanging), ``stop()`` closes every connection."""

    def __init__(self, port: int, extra_routes: ExtraRoutes, host: str = "127.0.0.1"):
        self._port = port
        self._server = WsgiServer(
            aws_app(extra_routes),
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
