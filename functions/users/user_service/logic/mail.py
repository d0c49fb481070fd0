"""Which mail a change of a user item calls for, and its text. No AWS here.

- INSERT: a welcome mail.
- MODIFY whose status goes from anything but ``suspended`` to ``suspended``: a suspension notice.
- Anything else (REMOVE, a rename, suspended -> suspended, reactivation): no mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from orderflow_common.observability import logger
from pydantic import BaseModel, ConfigDict, ValidationError

from user_service.errors import IncompleteUserImage
from user_service.models import SUSPENDED, Mail, MailKind


class MailSender(Protocol):
    def send(self, mail: Mail) -> str:
        """Send ``mail``; returns the provider's message id."""
        ...


class _Recipient(BaseModel):
    """What a mail needs from a stream image (other attributes are ignored)."""

    model_config = ConfigDict(extra="ignore")

    userId: str
    email: str
    name: str


def _recipient(image: Mapping[str, Any]) -> _Recipient:
    try:
        return _Recipient.model_validate(dict(image))
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
        raise IncompleteUserImage(f"user image lacks or mistypes: {', '.join(fields)}") from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())


def welcome_mail(user: _Recipient) -> Mail:
    name = _one_line(user.name)
    return Mail(
        kind="welcome",
        user_id=user.userId,
        to=user.email,
        subject=f"Welcome to orderflow, {name}!",
        body=(
            f"Hi {name},\n\n"
            "your orderflow account is ready. Thank you for signing up.\n\n"
            "The orderflow team\n"
        ),
    )


def suspension_mail(user: _Recipient) -> Mail:
    name = _one_line(user.name)
    return Mail(
        kind="suspension",
        user_id=user.userId,
        to=user.email,
        subject="Your orderflow account has been suspended",
        body=(
            f"Hi {name},\n\n"
            "your orderflow account has been suspended, so you cannot place orders for now. "
            "If you think this is a mistake, please contact our support.\n\n"
            "The orderflow team\n"
        ),
    )


def mail_for_change(
    event_name: str, old_image: Mapping[str, Any], new_image: Mapping[str, Any]
) -> Mail | None:
    """The mail a stream record calls for, or None."""
    if event_name == "INSERT":
        return welcome_mail(_recipient(new_image))
    if event_name == "MODIFY":
        was_suspended = old_image.get("status") == SUSPENDED
        if not was_suspended and new_image.get("status") == SUSPENDED:
            return suspension_mail(_recipient(new_image))
    return None


def handle_user_change(
    event_name: str, old_image: Mapping[str, Any], new_image: Mapping[str, Any], sender: MailSender
) -> MailKind | None:
    """Send the mail the change calls for; returns its kind (None when no mail was due)."""
    mail = mail_for_change(event_name, old_image, new_image)
    if mail is None:
        logger.debug("no mail for this change", extra={"eventName": event_name})
        return None
    sender.send(mail)
    # The user id only: addresses stay out of the logs.
    logger.info("mail sent", extra={"userId": mail.user_id, "mailKind": mail.kind})
    return mail.kind
