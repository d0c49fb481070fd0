"""The web console of ``orderflow up``: static HTML/JS/CSS (every asset in this package, nothing from a
CDN) and a small JSON API under ``/api/``, built from the embedded AWS's public APIs (boto3 clients
against its endpoint). Generic: it reads whatever stack, state machines, tables and queues are there.

Two things a public API cannot give come from the runtime as callables: the SES outbox and a peek at a
queue's messages (SQS has no peek: a receive counts towards a redrive policy's maxReceiveCount).

Browsers: the console is same-origin with its own API, so its page works; every other origin is
refused (403, JSON), as are requests a browser marks as cross-site or same-site (``Sec-Fetch-Site``), and
a ``Host`` that is not this server's (DNS rebinding). The one call that changes something (starting an
execution, ``POST /api/start``) also needs the ``X-Console-Token`` header with the per-run token the
console's page carries in its HTML (a form on another site cannot set a header).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from orderflow.wsgi_server import Limits, WsgiServer

from .api import ConsoleApi, ConsoleSources

log = logging.getLogger("orderflow.console")

TOKEN_HEADER = "X-Console-Token"  # noqa: S105 - the name of a header, not a secret
_TOKEN_ENVIRON = "HTTP_" + TOKEN_HEADER.upper().replace("-", "_")
_OTHER_SITES = frozenset({"cross-site", "same-site"})
_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "vendor/dagre.min.js": "text/javascript; charset=utf-8",
}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


class Console:
    """The console on ``host:port``: ``start()`` binds in the caller's thread (OSError when the port is
    in use), ``url``, ``stop()``."""

    def __init__(self, sources: ConsoleSources, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = secrets.token_urlsafe(24)
        self.api = ConsoleApi(sources)
        self._host = host
        self._server = WsgiServer(
            self.app,
            host=host,
            port=port,
            limits=Limits(max_body_bytes=1024 * 1024),
            name=f"console-{port}",
            server_header="orderflow-console",
        )

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self._host == "0.0.0.0" else self._host
        return f"http://{host}:{self.port}/"

    def bind(self) -> None:
        """Claim the port now (OSError when it is in use), serve from start()."""
        self._server.bind()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    # ------------------------------------------------------------------------------------ WSGI

    def _allowed_host(self, host: str) -> bool:
        name, _, port = host.rpartition(":")
        if not name or port != str(self.port):
            return False
        if self._host == "0.0.0.0":
            return True  # exposed on purpose (--host 0.0.0.0): any name of this machine
        return name in ("127.0.0.1", "localhost", "[::1]", self._host)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        host = environ.get("HTTP_HOST", "")

        def answer(
            status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
        ) -> Any:
            reason = {
                200: "OK",
                400: "Bad Request",
                403: "Forbidden",
                404: "Not Found",
                405: "Method Not Allowed",
            }.get(status, "Error")
            headers = [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"),
                *extra,
            ]
            start_response(f"{status} {reason}", headers)
            return [body]

        def refuse(message: str) -> Any:
            return answer(403, json.dumps({"message": message}).encode(), "application/json")

        if not self._allowed_host(host):
            return refuse(f"Host {host[:100]!r} is not this console's")
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/").lower() != f"http://{host}".lower():
            return refuse(
                f"cross-origin request from {origin[:100]} refused: the console answers its own page only"
            )
        if origin is None and environ.get("HTTP_SEC_FETCH_SITE", "").lower() in _OTHER_SITES:
            return refuse("request from another site refused (Sec-Fetch-Site)")
        if method not in ("GET", "HEAD"):
            given = environ.get(_TOKEN_ENVIRON, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return refuse(f"{path} changes the embedded AWS: the console's page sends {TOKEN_HEADER}")
        if path.startswith("/api/"):
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            status, result = self.api.handle(method, path, query, body)
            return answer(status, json.dumps(result, default=_json_default).encode(), "application/json")
        if path in ("/", "/index.html"):
            page = _asset("index.html").decode("utf-8").replace("{{TOKEN}}", self.token)
            csp = (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            )
            return answer(
                200, page.encode("utf-8"), "text/html; charset=utf-8", (("Content-Security-Policy", csp),)
            )
        asset = path.lstrip("/").removeprefix("static/")
        if asset in _STATIC:
            return answer(200, _asset(asset), _STATIC[asset])
        return answer(404, json.dumps({"message": f"not found: {path[:200]}"}).encode(), "application/json")


def _asset(name: str) -> bytes:
    return resources.files("orderflow.console").joinpath("static", *name.split("/")).read_bytes()
