"""The SES outbox of a runtime, client side: read over its endpoint (``GET /_orderflow/outbox``,
served by the runtime from :mod:`orderflow.runtime.outbox`), formatted, filtered. Standard library only:
``orderflow outbox`` imports neither boto3 nor the runtime.

Each entry: ``{"from", "to" (addresses joined by ", "), "recipients" (list), "subject", "body",
"time" (ISO 8601 UTC), "message_id"}``.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def fetch_outbox(endpoint_url: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The outbox of a runtime running in another process, read from its embedded AWS endpoint."""
    url = endpoint_url.rstrip("/") + "/_orderflow/outbox"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) endpoint: {endpoint_url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        return list(json.loads(response.read()))


def format_outbox(mails: list[dict[str, Any]]) -> str:
    if not mails:
        return "outbox: no mails"
    lines = [f"outbox: {len(mails)} mail(s)"]
    for mail in mails:
        to = mail.get("to")
        to_text = ", ".join(to) if isinstance(to, list) else str(to)
        lines.append(f"  {mail.get('time', '')}  to {to_text}  subject {mail.get('subject')!r}")
        body = str(mail.get("body") or "").strip()
        lines.extend(f"      {line}" for line in body.splitlines()[:6])
    return "\n".join(lines)


def mails_to(mails: list[dict[str, Any]], address: str) -> list[dict[str, Any]]:
    """The mails among ``mails`` with ``address`` among their recipients."""
    return [m for m in mails if address in (m.get("recipients") or [])]
