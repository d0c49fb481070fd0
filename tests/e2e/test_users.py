"""Users end to end: HTTP -> UsersApi -> DynamoDB (+ stream) -> UserStreamMailer -> SES outbox."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.e2e_support import Stack, eventually

pytestmark = pytest.mark.e2e


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def create_user(stack: Stack, email: str, name: str = "Ada Lovelace") -> dict:
    status, body = stack.api.post("/users", {"email": email, "name": name})
    assert status == 201, (status, body)
    assert body["email"] == email
    assert body["status"] == "active"
    return body


def test_user_lifecycle_mails(stack: Stack) -> None:
    email = new_email()
    user = create_user(stack, email)
    user_id = user["userId"]

    welcome = eventually(lambda: stack.mails_to(email), what=f"welcome mail to {email}")
    assert len(welcome) == 1
    assert set(welcome[0]) >= {"to", "subject", "body", "time"}

    status, body = stack.api.put(f"/users/{user_id}", {"status": "suspended"})
    assert status == 200, body
    assert body["status"] == "suspended"
    mails = eventually(lambda: (m := stack.mails_to(email)) and len(m) >= 2 and m, what="suspension notice")
    assert len(mails) == 2
    assert mails[1]["subject"] != mails[0]["subject"]

    # Another update sends nothing. A later user's welcome mail is the barrier: the stream is
    # delivered in order, so once that mail is out, any mail for this update would be too.
    status, body = stack.api.put(f"/users/{user_id}", {"name": "Ada King"})
    assert status == 200, body
    sentinel = new_email()
    create_user(stack, sentinel, "Sentinel")
    eventually(lambda: stack.mails_to(sentinel), what="the sentinel's welcome mail")
    assert len(stack.mails_to(email)) == 2

    status, body = stack.api.get(f"/users/{user_id}")
    assert status == 200
    assert body["name"] == "Ada King" and body["status"] == "suspended"


def test_duplicate_email_is_409(stack: Stack) -> None:
    email = new_email()
    create_user(stack, email)
    status, body = stack.api.post("/users", {"email": email.upper(), "name": "Someone Else"})
    assert status == 409, body
    assert "message" in body


def test_unknown_user_is_404_and_delete_is_204(stack: Stack) -> None:
    status, body = stack.api.get(f"/users/{uuid.uuid4()}")
    assert status == 404
    user = create_user(stack, new_email())
    status, body = stack.api.delete(f"/users/{user['userId']}")
    assert status == 204
    assert body is None
    assert stack.api.get(f"/users/{user['userId']}")[0] == 404


def test_unknown_route_and_method(stack: Stack) -> None:
    assert stack.api.get("/nothing-here")[0] == 404
    status, _ = stack.api.request("PATCH", "/users")
    assert status == 405
