"""Keeps web pages out of the embedded AWS.

A page open in the developer's browser can send requests to ``127.0.0.1:4566``. moto answers CORS
preflights from any origin and checks no signature, so without this a page that guesses the port
could list the tables, read the outbox or ``POST /moto-api/reset``. AWS tools (boto3, the AWS CLI,
SAM CLI, the runtime's own workers) send no ``Origin`` and no ``Sec-Fetch-*`` headers; browsers
always mark what they send. So:

* a request with an ``Origin`` header is refused (403, JSON) unless that origin is allowed
  (``orderflow up --allow-origin``); preflights (``OPTIONS`` with ``Origin``) included, so a
  browser never even sends the real request;
* a request a browser marks as coming from another site (``Sec-Fetch-Site: cross-site`` or
  ``same-site``: an ``<img>``, a form, a ``no-cors`` fetch; these carry no ``Origin`` on GET) is
  refused the same way;
* moto's admin routes and the runtime's own that change state (``/moto-api/...`` and
  ``/_orderflow/...`` with any method but GET/HEAD, e.g. ``POST /moto-api/reset``,
  ``PUT /_orderflow/faults``) need the ``X-Orderflow-Admin-Token`` header, whose value the runtime
  writes to ``<state dir>/admin-token`` (readable by its owner only) at start.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from orderflow.discovery import ADMIN_TOKEN_FILE, ADMIN_TOKEN_HEADER

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

__all__ = ["ADMIN_TOKEN_HEADER", "guarded", "normalise_origin", "write_admin_token"]
TOKEN_ENVIRON = "HTTP_" + ADMIN_TOKEN_HEADER.upper().replace("-", "_")
_READ_ONLY = frozenset({"GET", "HEAD"})
_OTHER_SITES = frozenset({"cross-site", "same-site"})
_ADMIN_PREFIXES = ("/moto-api/", "/_orderflow/")


def write_admin_token(state_dir: Path) -> str:
    """A new random token in ``state_dir/admin-token`` (mode 0600); the token."""
    token = secrets.token_urlsafe(32)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / ADMIN_TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    path.chmod(0o600)
    return token


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` as browsers send it: lower case, no trailing slash."""
    return origin.strip().rstrip("/").lower()


def guarded(app: WsgiApp, *, allowed_origins: Iterable[str] = (), admin_token: str) -> WsgiApp:
    """``app`` behind the rules of this module's docstring."""
    allowed = frozenset(normalise_origin(origin) for origin in allowed_origins)

    def refuse(start_response: Callable[..., Any], message: str) -> Iterable[bytes]:
        body = json.dumps({"message": message}).encode("utf-8")
        start_response(
            "403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def guard(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and normalise_origin(origin) not in allowed:
            return refuse(
                start_response,
                f"cross-origin request from {origin[:100]} refused: the embedded AWS answers browsers "
                "only from origins allowed with `orderflow up --allow-origin`",
            )
        if origin is None and environ.get("HTTP_SEC_FETCH_SITE", "").lower() in _OTHER_SITES:
            return refuse(start_response, "request from another site refused (Sec-Fetch-Site)")
        path = environ.get("PATH_INFO", "")
        if path.startswith(_ADMIN_PREFIXES) and environ.get("REQUEST_METHOD", "GET") not in _READ_ONLY:
            given = environ.get(TOKEN_ENVIRON, "")
            if not hmac.compare_digest(given.encode("utf-8"), admin_token.encode("utf-8")):
                return refuse(
                    start_response,
                    f"{path} changes the embedded AWS: send the {ADMIN_TOKEN_HEADER} header with the token "
                    "in the runtime's state dir (admin-token)",
                )
        return app(environ, start_response)

    return guard
