"""Below the handler: retries of the logic, and how the data layer reads DynamoDB's refusals."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from orderflow_common.errors import TransientServiceError
from user_service.dal.users_table import UserStore, decode_cursor, encode_cursor
from user_service.errors import ConcurrentUpdate, EmailAlreadyInUse, EmailClaimMismatch, UserNotFound
from user_service.logic.mail import mail_for_change
from user_service.logic.users import UserService
from user_service.models import UpdateUserRequest

USER = {
    "userId": "u-1",
    "email": "ada@example.com",
    "name": "Ada",
    "status": "active",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T00:00:00.000Z",
}


class FlakyStore:
    """A store whose email changes meet a concurrent writer ``conflicts`` times."""

    def __init__(self, conflicts: int, user: dict[str, Any] | None = USER) -> None:
        self.conflicts = conflicts
        self.user = dict(user) if user else None
        self.attempts = 0

    def get(self, user_id: str) -> dict[str, Any] | None:
        return dict(self.user) if self.user else None

    def change_email(self, user_id, old_email, changes, updated_at) -> None:
        self.attempts += 1
        if self.attempts <= self.conflicts:
            raise ConcurrentUpdate("conflict")
        self.user = {**self.user, **changes, "updatedAt": updated_at}


def _service(store, sleeps):
    return UserService(store, now=lambda: "2026-02-02T00:00:00.000Z", sleep=sleeps.append)


def test_a_conflicting_write_is_retried_after_a_re_read():
    store, sleeps = FlakyStore(conflicts=2), []

    user = _service(store, sleeps).update("u-1", UpdateUserRequest(email="new@example.com"))

    assert user.email == "new@example.com"
    assert user.updatedAt == "2026-02-02T00:00:00.000Z"
    assert store.attempts == 3
    assert len(sleeps) == 2


def test_retries_are_bounded():
    store, sleeps = FlakyStore(conflicts=100), []

    with pytest.raises(ConcurrentUpdate):
        _service(store, sleeps).update("u-1", UpdateUserRequest(email="new@example.com"))

    assert store.attempts == 4
    assert len(sleeps) == 3


def test_a_user_deleted_during_the_retry_is_not_found():
    store = FlakyStore(conflicts=1)
    original_change = store.change_email

    def change_then_vanish(*args):
        store.user = None  # deleted by someone else before our retry re-reads
        original_change(*args)

    store.change_email = change_then_vanish

    with pytest.raises(UserNotFound):
        _service(store, []).update("u-1", UpdateUserRequest(email="new@example.com"))


# ------------------------------------------------------------------ DynamoDB cancellation reasons
@pytest.fixture
def stubbed():
    client = boto3.client("dynamodb", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield UserStore("Users", "EmailClaims", client=client), stubber


def _cancelled(stubber, *codes):
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message="Transaction cancelled",
        response_meta={},
        modeled_fields={"CancellationReasons": [{"Code": code} for code in codes]},
    )


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        (("None", "ConditionalCheckFailed"), EmailAlreadyInUse),
        (("TransactionConflict", "None"), ConcurrentUpdate),
        (("ConditionalCheckFailed", "None"), ConcurrentUpdate),  # random user id taken: new id
        (("ThrottlingError", "None"), TransientServiceError),
    ],
)
def test_create_reads_the_cancellation_reasons(stubbed, codes, error):
    repository, stubber = stubbed
    _cancelled(stubber, *codes)

    with pytest.raises(error):
        repository.create(dict(USER))


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        (("None", "None", "ConditionalCheckFailed"), EmailAlreadyInUse),
        (("ConditionalCheckFailed", "None", "None"), ConcurrentUpdate),
        (("None", "ConditionalCheckFailed", "None"), EmailClaimMismatch),
        (("None", "TransactionConflict", "None"), ConcurrentUpdate),
    ],
)
def test_email_change_reads_the_cancellation_reasons(stubbed, codes, error):
    repository, stubber = stubbed
    _cancelled(stubber, *codes)

    with pytest.raises(error):
        repository.change_email("u-1", "ada@example.com", {"email": "b@example.com"}, "now")


def test_the_email_change_transaction(stubbed):
    repository, stubber = stubbed
    changes = {"email": "b@example.com", "status": "suspended"}
    update = {
        "TableName": "Users",
        "Key": {"userId": {"S": "u-1"}},
        "UpdateExpression": "SET #email = :email, #status = :status, #updatedAt = :updatedAt",
        "ConditionExpression": "attribute_exists(#userId) AND #email = :oldEmail",
        "ExpressionAttributeNames": {
            "#email": "email",
            "#status": "status",
            "#updatedAt": "updatedAt",
            "#userId": "userId",
        },
        "ExpressionAttributeValues": {
            ":email": {"S": "b@example.com"},
            ":status": {"S": "suspended"},
            ":updatedAt": {"S": "t"},
            ":oldEmail": {"S": "ada@example.com"},
        },
    }
    release = {
        "TableName": "EmailClaims",
        "Key": {"email": {"S": "ada@example.com"}},
        "ConditionExpression": "attribute_not_exists(#email) OR #userId = :userId",
        "ExpressionAttributeNames": {"#email": "email", "#userId": "userId"},
        "ExpressionAttributeValues": {":userId": {"S": "u-1"}},
    }
    claim = {
        "TableName": "EmailClaims",
        "Item": {"email": {"S": "b@example.com"}, "userId": {"S": "u-1"}},
        "ConditionExpression": "attribute_not_exists(#email)",
        "ExpressionAttributeNames": {"#email": "email"},
    }
    stubber.add_response(
        "transact_write_items",
        {},
        {"TransactItems": [{"Update": update}, {"Delete": release}, {"Put": claim}]},
    )

    repository.change_email("u-1", "ada@example.com", changes, "t")

    stubber.assert_no_pending_responses()


def test_update_expressions_never_name_reserved_words_directly():
    captured = {}

    class Client:
        def update_item(self, **kwargs):
            captured.update(kwargs)
            return {"Attributes": {k: {"S": v} for k, v in USER.items()}}

    UserStore("Users", "Claims", client=Client()).update("u-1", {"name": "Ada", "status": "suspended"}, "t")

    expression = captured["UpdateExpression"]
    assert "#name = :name" in expression and "#status = :status" in expression
    assert captured["ExpressionAttributeNames"]["#status"] == "status"
    assert " status" not in expression.replace("#status", "")
    assert captured["ConditionExpression"] == "attribute_exists(#userId)"


def test_cursor_round_trip():
    key = {"userId": {"S": "5c3b9a3e-6f43-4c0e-9d61-0a3f4e1c2b7d"}}

    cursor = encode_cursor(key)

    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor) == key


# ---------------------------------------------------------------------------------- mail decisions
ACTIVE = {"userId": "u-1", "email": "ada@example.com", "name": "Ada", "status": "active"}
SUSPENDED = {**ACTIVE, "status": "suspended"}


@pytest.mark.parametrize(
    ("event_name", "old", "new", "kind"),
    [
        ("INSERT", {}, ACTIVE, "welcome"),
        ("MODIFY", ACTIVE, SUSPENDED, "suspension"),
        ("MODIFY", {k: v for k, v in ACTIVE.items() if k != "status"}, SUSPENDED, "suspension"),
        ("MODIFY", SUSPENDED, SUSPENDED, None),
        ("MODIFY", SUSPENDED, ACTIVE, None),
        ("MODIFY", ACTIVE, {**ACTIVE, "name": "Ada King"}, None),
        ("REMOVE", ACTIVE, {}, None),
    ],
)
def test_which_change_calls_for_which_mail(event_name, old, new, kind):
    mail = mail_for_change(event_name, old, new)

    assert (mail.kind if mail else None) == kind
    if mail:
        assert mail.to == "ada@example.com"
        assert "Ada" in mail.body
