"""The users logic against small in-memory implementations of its Protocols: no moto, no boto3.

FakeUsers keeps what UserRepository promises (users by id, one claim per email address, conditional
writes); FakeSender records what MailSender was asked to send.
"""

from __future__ import annotations

from typing import Any

import pytest
from user_service.errors import ConcurrentUpdate, EmailAlreadyInUse, IncompleteUserImage, UserNotFound
from user_service.logic.mail import handle_user_change
from user_service.logic.users import UserService
from user_service.models import CreateUserRequest, Mail, UpdateUserRequest

NOW = "2026-02-02T00:00:00.000Z"


class FakeUsers:
    """UserRepository in memory."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.claims: dict[str, str] = {}  # email -> userId
        self.calls: list[str] = []

    def get(self, user_id: str) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        return dict(user) if user else None

    def find_by_email(self, email: str) -> list[dict[str, Any]]:
        return [dict(user) for user in self.users.values() if user["email"] == email]

    def list_page(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        ids = sorted(self.users)
        start = ids.index(cursor) + 1 if cursor else 0
        page = ids[start : start + limit]
        more = start + limit < len(ids)
        return [dict(self.users[i]) for i in page], (page[-1] if more and page else None)

    def create(self, user: dict[str, Any]) -> None:
        self.calls.append("create")
        if user["email"] in self.claims:
            raise EmailAlreadyInUse("email address is already in use")
        if user["userId"] in self.users:
            raise ConcurrentUpdate("user id already taken")
        self.users[user["userId"]] = dict(user)
        self.claims[user["email"]] = user["userId"]

    def update(self, user_id: str, changes: dict[str, str], updated_at: str) -> dict[str, Any]:
        self.calls.append("update")
        if user_id not in self.users:
            raise UserNotFound(user_id)
        self.users[user_id] = {**self.users[user_id], **changes, "updatedAt": updated_at}
        return dict(self.users[user_id])

    def change_email(self, user_id: str, old_email: str, changes: dict[str, str], updated_at: str) -> None:
        self.calls.append("change_email")
        new_email = changes["email"]
        if self.claims.get(new_email, user_id) != user_id:
            raise EmailAlreadyInUse("email address is already in use")
        if self.users.get(user_id, {}).get("email") != old_email:
            raise ConcurrentUpdate("user changed or was deleted meanwhile")
        del self.claims[old_email]
        self.claims[new_email] = user_id
        self.users[user_id] = {**self.users[user_id], **changes, "updatedAt": updated_at}

    def delete(self, user_id: str, email: str) -> None:
        self.calls.append("delete")
        if self.users.get(user_id, {}).get("email") != email:
            raise ConcurrentUpdate("user changed or was deleted meanwhile")
        del self.users[user_id]
        self.claims.pop(email, None)


@pytest.fixture
def users() -> FakeUsers:
    return FakeUsers()


@pytest.fixture
def service(users: FakeUsers) -> UserService:
    ids = iter(f"u-{n}" for n in range(1, 100))
    return UserService(users, now=lambda: NOW, new_id=lambda: next(ids), sleep=lambda _s: None)


def create(service: UserService, email: str, name: str = "Ada") -> Any:
    return service.create(CreateUserRequest(email=email, name=name))


# ------------------------------------------------------------------ rejections
def test_an_email_already_claimed_is_refused_and_nothing_is_written(service, users):
    create(service, "ada@example.com")

    with pytest.raises(EmailAlreadyInUse):
        create(service, "ADA@example.com ", name="Impostor")

    assert list(users.users) == ["u-1"]
    assert users.claims == {"ada@example.com": "u-1"}


def test_changing_to_an_email_another_user_claimed_is_refused_and_changes_nothing(service, users):
    create(service, "ada@example.com")
    create(service, "grace@example.com", name="Grace")

    with pytest.raises(EmailAlreadyInUse):
        service.update("u-2", UpdateUserRequest(email="ada@example.com", name="Renamed"))

    assert users.users["u-2"]["email"] == "grace@example.com"
    assert users.users["u-2"]["name"] == "Grace"
    assert users.claims == {"ada@example.com": "u-1", "grace@example.com": "u-2"}


@pytest.mark.parametrize(
    "operation",
    [
        lambda service: service.get("u-404"),
        lambda service: service.update("u-404", UpdateUserRequest(name="Nobody")),
        lambda service: service.update("u-404", UpdateUserRequest(email="n@example.com")),
        lambda service: service.delete("u-404"),
    ],
    ids=["get", "update", "change-email", "delete"],
)
def test_an_unknown_user_is_not_found_and_nothing_is_written(service, users, operation):
    with pytest.raises(UserNotFound):
        operation(service)
    assert users.calls == []  # refused on the read, before any write


def test_a_drawn_user_id_that_is_taken_is_drawn_again(users):
    users.users["u-1"] = {"userId": "u-1", "email": "old@example.com"}
    ids = iter(["u-1", "u-2"])
    service = UserService(users, now=lambda: NOW, new_id=lambda: next(ids), sleep=lambda _s: None)

    user = create(service, "ada@example.com")

    assert user.userId == "u-2"
    assert users.calls == ["create", "create"]


# ------------------------------------------------------------------ the writes the logic chooses
def test_an_update_that_keeps_the_email_claims_nothing(service, users):
    create(service, "ada@example.com")

    user = service.update("u-1", UpdateUserRequest(email="ada@example.com", status="suspended"))

    assert user.status == "suspended"
    assert users.calls == ["create", "update"]  # a plain update, no claim transaction


def test_an_email_change_moves_the_claim(service, users):
    create(service, "ada@example.com")

    user = service.update("u-1", UpdateUserRequest(email="lovelace@example.com"))

    assert user.email == "lovelace@example.com"
    assert user.updatedAt == NOW
    assert users.claims == {"lovelace@example.com": "u-1"}


def test_a_deleted_user_frees_its_email(service, users):
    create(service, "ada@example.com")
    service.delete("u-1")

    assert users.users == {}
    assert create(service, "ada@example.com").userId == "u-2"


def test_list_page_hands_on_the_cursor(service):
    for n in range(3):
        create(service, f"user{n}@example.com")

    first = service.list_page(2, None)
    second = service.list_page(2, first.nextCursor)

    assert [u.userId for u in first.items] == ["u-1", "u-2"]
    assert [u.userId for u in second.items] == ["u-3"]
    assert second.nextCursor is None


# ------------------------------------------------------------------ mail
class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return f"m-{len(self.sent)}"


ADA = {"userId": "u-1", "email": "ada@example.com", "name": "Ada  Lovelace", "status": "active"}


def test_an_insert_sends_a_welcome_mail():
    sender = FakeSender()

    assert handle_user_change("INSERT", {}, ADA, sender) == "welcome"

    [mail] = sender.sent
    assert (mail.kind, mail.to, mail.user_id) == ("welcome", "ada@example.com", "u-1")
    assert mail.subject == "Welcome to orderflow, Ada Lovelace!"


def test_only_a_change_to_suspended_sends_a_notice():
    sender = FakeSender()
    suspended = {**ADA, "status": "suspended"}

    assert handle_user_change("MODIFY", ADA, suspended, sender) == "suspension"
    assert handle_user_change("MODIFY", suspended, suspended, sender) is None
    assert handle_user_change("MODIFY", suspended, ADA, sender) is None
    assert handle_user_change("REMOVE", ADA, {}, sender) is None
    assert [mail.kind for mail in sender.sent] == ["suspension"]


def test_an_image_without_an_address_is_refused_and_nothing_is_sent():
    sender = FakeSender()

    with pytest.raises(IncompleteUserImage, match="email"):
        handle_user_change("INSERT", {}, {"userId": "u-1", "name": "Ada"}, sender)

    assert sender.sent == []
