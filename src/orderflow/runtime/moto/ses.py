"""SES: when each message was accepted (moto keeps no time), and the messages themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from moto.ses.models import SESBackend, ses_backends

from .registry import REGISTRY, Patch, Patcher


def sent_messages(account_id: str, region: str) -> list[Any]:
    """Every message the embedded SES accepted (SendEmail/SendRawEmail, v1 and v2), oldest first."""
    if region not in ses_backends[account_id]:
        return []
    return list(ses_backends[account_id][region].sent_messages)


def sent_at(message: Any) -> dt.datetime | None:
    return getattr(message, "orderflow_sent_at", None)


def _stamped(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = original(self, *args, **kwargs)
        message.orderflow_sent_at = dt.datetime.now(dt.UTC)
        return message

    return send


def _apply_sent_at(patcher: Patcher) -> None:
    patcher.replace(SESBackend, "send_email", _stamped(SESBackend.send_email))
    patcher.replace(SESBackend, "send_raw_email", _stamped(SESBackend.send_raw_email))


SES_SENT_AT = REGISTRY.register(
    Patch(
        "ses_sent_at",
        "gap",
        "SES keeps sent messages without the time they were accepted; here each is stamped (UTC) for the "
        "outbox",
        _apply_sent_at,
    )
)
