"""The SES outbox: every message the embedded SES accepted (SendEmail / SendRawEmail, v1 and v2).

Messages live in moto's SES backend (``sent_messages``); the ``ses_sent_at`` patch stamps each with the time
it was accepted. :func:`read_outbox` formats them; the embedded AWS serves the same list at
``GET /_orderflow/outbox`` for other processes, read with :func:`orderflow.outbox.fetch_outbox`
(the client side, and the formatting, live outside the runtime package: the CLI's client commands
import them without the runtime).

Each entry: ``{"from", "to" (addresses joined by ", "), "recipients" (list), "subject", "body",
"time" (ISO 8601 UTC), "message_id"}``.
"""

from __future__ import annotations

import datetime as dt
import email
from email.message import Message as MimeMessage
from typing import Any


def read_outbox(account_id: str, region: str) -> list[dict[str, Any]]:
    """The embedded SES's sent mail, read in the runtime's own process (``fetch_outbox`` is the client
    side, over the runtime's endpoint; it must not import moto)."""
    from .moto import ses

    entries = [_entry(m, ses.sent_at(m)) for m in ses.sent_messages(account_id, region)]
    return [e for e in entries if e is not None]


def _entry(message: Any, sent_at: dt.datetime | None) -> dict[str, Any] | None:
    sent_at = sent_at or dt.datetime.now(dt.UTC)
    time = sent_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if hasattr(message, "raw_data"):
        mime = email.message_from_string(message.raw_data)
        recipients = list(message.destinations)
        subject = str(mime.get("Subject", ""))
        body = _mime_text(mime)
    elif hasattr(message, "subject"):
        destinations = message.destinations or {}
        recipients = [
            a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])
        ]
        subject, body = message.subject, message.body
    else:  # templated messages: the template name and data stand in for subject and body
        recipients = (
            [
                a
                for d in (message.destinations or [])
                for a in (d.get("Destination", d).get("ToAddresses", []))
            ]
            if isinstance(message.destinations, list)
            else list((message.destinations or {}).get("ToAddresses", []))
        )
        subject, body = f"template {message.template}", str(message.template_data)
    return {
        "from": message.source,
        "to": ", ".join(recipients),
        "recipients": recipients,
        "subject": subject,
        "body": body,
        "time": time,
        "message_id": getattr(message, "id", None),
    }


def _mime_text(mime: MimeMessage) -> str:
    for part in mime.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    payload = mime.get_payload()
    return payload if isinstance(payload, str) else ""
