"""Request and resource models of the users API.

Emails are normalised (surrounding whitespace stripped, lower-cased) *before* anything is stored or
claimed, so ``Ada@Example.com `` and ``ada@example.com`` are the same address.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

UserStatus = Literal["active", "suspended"]
ACTIVE: UserStatus = "active"
SUSPENDED: UserStatus = "suspended"

EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
EMAIL_LOCAL_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200

_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(value: str) -> str:
    """Strip and lower-case an address, then check its shape (dot-atom local part, DNS domain)."""
    email = value.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValueError(f"email must be at most {EMAIL_MAX_LENGTH} characters")
    local, at, domain = email.rpartition("@")
    if (
        not at
        or len(local) > EMAIL_LOCAL_MAX_LENGTH
        or not _LOCAL_PART.fullmatch(local)
        or not _DOMAIN.fullmatch(domain)
    ):
        raise ValueError("not a valid email address")
    return email


def _no_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


Email = Annotated[str, AfterValidator(normalize_email)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    AfterValidator(_no_control_characters),
]


class CreateUserRequest(BaseModel):
    """``POST /users``: a new user always starts ``active``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: Email
    name: Name


class UpdateUserRequest(BaseModel):
    """``PUT /users/{userId}``: any non-empty subset of the changeable fields; ``null`` is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: Email | None = None
    name: Name | None = None
    status: UserStatus | None = None

    @model_validator(mode="after")
    def _at_least_one_field(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of email, name, status")
        nulls = sorted(field for field in self.model_fields_set if getattr(self, field) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} must not be null")
        return self

    def changes(self) -> dict[str, str]:
        """Only the fields the caller sent."""
        return self.model_dump(exclude_unset=True)


class User(BaseModel):
    """A user as stored and as returned by the API."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    userId: str = Field(min_length=1)
    email: str
    name: str
    status: UserStatus
    createdAt: str
    updatedAt: str


class UserPage(BaseModel):
    """One page of ``GET /users``; ``nextCursor`` is null on the last page."""

    items: list[User]
    nextCursor: str | None = None


MailKind = Literal["welcome", "suspension"]


@dataclass(frozen=True)
class Mail:
    """One mail to one user: what logic.mail composes and dal.mailer sends."""

    kind: MailKind
    user_id: str
    to: str
    subject: str
    body: str
