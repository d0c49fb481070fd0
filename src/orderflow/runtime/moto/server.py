"""moto's WSGI app as the embedded AWS serves it (the HTTP side is :mod:`orderflow.wsgi_server`)."""

from __future__ import annotations

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

from orderflow.wsgi_server import RAW_HEADERS_KEY


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


def moto_wsgi_app() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """Every moto service behind one WSGI callable (moto's dispatcher by Host and path)."""
    dispatcher = _Dispatcher(_create_backend_app)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        _preserve_underscored_headers(environ)
        return dispatcher(environ, start_response)

    return app
