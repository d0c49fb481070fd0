"""The users API through its Lambda handler, against the template's tables in moto."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from user_service.dal.clients import aws_client

UNKNOWN_ID = "5c3b9a3e-6f43-4c0e-9d61-0a3f4e1c2b7d"


# -------------------------------------------------------------------------------------- happy paths
def test_create_returns_201_with_the_stored_user_and_claims_its_email(call, tables):
    response = call("POST", "/users", body={"email": "  Ada@Example.COM ", "name": " Ada Lovelace "})

    assert response.status == 201
    assert response.headers["content-type"] == "application/json"
    user = response.json
    assert set(user) == {"userId", "email", "name", "status", "createdAt", "updatedAt"}
    assert uuid.UUID(user["userId"])
    assert user["email"] == "ada@example.com"
    assert user["name"] == "Ada Lovelace"
    assert user["status"] == "active"
    assert user["createdAt"] == user["updatedAt"]
    assert user["createdAt"].endswith("Z")
    assert tables.user_items() == [user]
    assert tables.claims_by_email() == {"ada@example.com": user["userId"]}


def test_get_returns_the_user(call, create_user):
    user = create_user("ada@example.com")

    response = call("GET", f"/users/{user['userId']}")

    assert response.status == 200
    assert response.json == user


def test_get_unknown_user_is_404(call):
    response = call("GET", f"/users/{UNKNOWN_ID}")

    assert response.status == 404
    assert response.json == {"message": "user not found", "code": "UserNotFound"}


def test_get_with_a_malformed_id_is_400(call):
    response = call("GET", "/users/not-a-uuid")

    assert response.status == 400
    assert "userId" in response.json["message"]


def test_find_by_email_normalises_the_query(call, create_user):
    ada = create_user("ada@example.com")
    create_user("grace@example.com", name="Grace Hopper")

    response = call("GET", "/users", query={"email": " ADA@example.com"})

    assert response.status == 200
    assert response.json == {"items": [ada], "nextCursor": None}


def test_find_by_unknown_email_is_an_empty_list(call, create_user):
    create_user("ada@example.com")

    response = call("GET", "/users", query={"email": "nobody@example.com"})

    assert response.status == 200
    assert response.json == {"items": [], "nextCursor": None}


def test_update_changes_name_and_status(call, create_user, tables):
    user = create_user("ada@example.com")

    response = call("PUT", f"/users/{user['userId']}", body={"name": "Ada King", "status": "suspended"})

    assert response.status == 200
    updated = response.json
    assert updated["name"] == "Ada King"
    assert updated["status"] == "suspended"
    assert updated["email"] == user["email"]
    assert updated["createdAt"] == user["createdAt"]
    assert updated["updatedAt"] > user["updatedAt"]
    assert tables.user_items() == [updated]


def test_update_changes_the_email_and_moves_the_claim(call, create_user, tables):
    user = create_user("ada@example.com")

    response = call("PUT", f"/users/{user['userId']}", body={"email": "Ada.King@Example.com"})

    assert response.status == 200
    assert response.json["email"] == "ada.king@example.com"
    assert tables.user_items() == [response.json]
    assert tables.claims_by_email() == {"ada.king@example.com": user["userId"]}


def test_update_to_the_same_email_in_another_case_keeps_the_claim(call, create_user, tables):
    user = create_user("ada@example.com")

    response = call("PUT", f"/users/{user['userId']}", body={"email": "ADA@example.com", "name": "A"})

    assert response.status == 200
    assert response.json["email"] == "ada@example.com"
    assert response.json["name"] == "A"
    assert tables.claims_by_email() == {"ada@example.com": user["userId"]}


def test_update_unknown_user_is_404_and_writes_nothing(call, tables):
    for body in ({"name": "Nobody"}, {"email": "nobody@example.com"}):
        response = call("PUT", f"/users/{UNKNOWN_ID}", body=body)

        assert response.status == 404
        assert response.json["code"] == "UserNotFound"
    assert tables.user_items() == []
    assert tables.claims_by_email() == {}


def test_delete_returns_204_with_an_empty_body(call, create_user, tables):
    user = create_user("ada@example.com")

    response = call("DELETE", f"/users/{user['userId']}")

    assert response.status == 204
    assert response.raw_body == ""
    assert "content-type" not in response.headers
    assert tables.user_items() == []
    assert tables.claims_by_email() == {}
    assert call("GET", f"/users/{user['userId']}").status == 404


def test_delete_unknown_user_is_404(call):
    response = call("DELETE", f"/users/{UNKNOWN_ID}")

    assert response.status == 404
    assert response.json["code"] == "UserNotFound"


def test_unknown_route_is_a_json_404(call):
    response = call("GET", "/accounts")

    assert response.status == 404
    assert response.json == {"message": "no such route"}


# ---------------------------------------------------------------------------------- email uniqueness
def test_duplicate_email_on_create_is_409_and_writes_nothing(call, create_user, tables):
    first = create_user("ada@example.com")

    response = call("POST", "/users", body={"email": " ADA@example.com", "name": "Impostor"})

    assert response.status == 409
    assert response.json == {"message": "email address is already in use", "code": "EmailAlreadyInUse"}
    assert tables.user_items() == [first]
    assert tables.claims_by_email() == {"ada@example.com": first["userId"]}


def test_changing_to_a_taken_email_is_409_and_changes_nothing(call, create_user, tables):
    ada = create_user("ada@example.com")
    grace = create_user("grace@example.com", name="Grace Hopper")

    response = call(
        "PUT", f"/users/{grace['userId']}", body={"email": "ada@example.com", "name": "Grace B. M. Hopper"}
    )

    assert response.status == 409
    assert response.json["code"] == "EmailAlreadyInUse"
    assert sorted(tables.user_items(), key=lambda u: u["email"]) == [ada, grace]
    assert tables.claims_by_email() == {
        "ada@example.com": ada["userId"],
        "grace@example.com": grace["userId"],
    }


def test_an_email_change_frees_the_old_address(call, create_user, tables):
    ada = create_user("ada@example.com")
    assert call("PUT", f"/users/{ada['userId']}", body={"email": "countess@example.com"}).status == 200

    newcomer = call("POST", "/users", body={"email": "ada@example.com", "name": "Another Ada"})

    assert newcomer.status == 201
    assert tables.claims_by_email() == {
        "countess@example.com": ada["userId"],
        "ada@example.com": newcomer.json["userId"],
    }


def test_deleting_a_user_frees_its_email(call, create_user):
    ada = create_user("ada@example.com")
    assert call("DELETE", f"/users/{ada['userId']}").status == 204

    again = call("POST", "/users", body={"email": "ada@example.com", "name": "Ada Again"})

    assert again.status == 201
    assert again.json["userId"] != ada["userId"]


# --------------------------------------------------------------------------------------- pagination
def test_listing_walks_every_user_exactly_once_with_the_cursor(call, create_user):
    created = {create_user(f"user{i}@example.com", name=f"User {i}")["userId"] for i in range(7)}

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        response = call("GET", "/users", query=query)
        assert response.status == 200
        assert len(response.json["items"]) <= 3
        seen += [user["userId"] for user in response.json["items"]]
        pages += 1
        cursor = response.json["nextCursor"]
        if cursor is None:
            break
        assert pages < 10, "the cursor never ends"

    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_listing_an_empty_table(call):
    response = call("GET", "/users")

    assert response.status == 200
    assert response.json == {"items": [], "nextCursor": None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%not-base64%%%",
        _b64(b"not json"),
        _b64(b"\xff\xfe"),
        _b64(json.dumps(["userId"]).encode()),
        _b64(json.dumps({"userId": "plain"}).encode()),
        _b64(json.dumps({"userId": {"N": "1"}}).encode()),
        _b64(json.dumps({"userId": {"S": ""}}).encode()),
        _b64(json.dumps({"userId": {"S": "x"}, "email": {"S": "a@b.co"}}).encode()),
    ],
)
def test_an_invalid_cursor_is_400(call, create_user, cursor):
    create_user("ada@example.com")

    response = call("GET", "/users", query={"cursor": cursor})

    assert response.status == 400
    assert response.json == {"message": "invalid cursor", "code": "InvalidCursor"}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
def test_an_invalid_limit_is_400(call, limit):
    response = call("GET", "/users", query={"limit": limit})

    assert response.status == 400
    assert "limit" in response.json["message"]


def test_email_lookup_rejects_a_cursor_and_a_malformed_address(call):
    assert call("GET", "/users", query={"email": "a@b.co", "cursor": "abc"}).status == 400
    response = call("GET", "/users", query={"email": "not-an-address"})
    assert response.status == 400
    assert response.json["message"].startswith("email:")


# ------------------------------------------------------------------------------- AWS out of reach
def _failing(error):
    def _raise(*_args, **_kwargs):
        raise error

    return _raise


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ClientError({"Error": {"Code": "ThrottlingException"}}, "GetItem"),
    ],
    ids=["unreachable", "read-timeout", "throttled"],
)
def test_aws_out_of_reach_is_503_never_500(call, users_api, monkeypatch, error):
    # A connection failure used to be a 500 here while OrdersApi answered 503: both now read AWS
    # failures the same way (orderflow_common.aws_errors).
    monkeypatch.setattr(aws_client("dynamodb"), "get_item", _failing(error))

    response = call("GET", f"/users/{UNKNOWN_ID}")

    assert response.status == 503
    assert response.json == {"message": "busy, retry the request"}


def test_a_refusal_that_is_not_transient_stays_a_500(call, users_api, monkeypatch):
    error = ClientError({"Error": {"Code": "ValidationException"}}, "GetItem")
    monkeypatch.setattr(aws_client("dynamodb"), "get_item", _failing(error))

    response = call("GET", f"/users/{UNKNOWN_ID}")

    assert response.status == 500
    assert response.json == {"message": "internal error"}
