"""Bad input gets a clear 4xx JSON error: never a 500, never a partial write."""

from __future__ import annotations

import pytest

# Every part within its own limit, 255 characters in all.
TOO_LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"
VALID = {"email": "ada@example.com", "name": "Ada Lovelace"}

BAD_CREATE_BODIES = {
    "missing body": {"raw_body": None},
    "empty body": {"raw_body": ""},
    "null body": {"raw_body": "null"},
    "malformed json": {"raw_body": '{"email": "ada@example.com",'},
    "a list": {"raw_body": "[]"},
    "a string": {"raw_body": '"ada@example.com"'},
    "missing email": {"body": {"name": "Ada"}},
    "missing name": {"body": {"email": "ada@example.com"}},
    "null email": {"body": {"email": None, "name": "Ada"}},
    "email not a string": {"body": {"email": 42, "name": "Ada"}},
    "name not a string": {"body": {"email": "ada@example.com", "name": ["Ada"]}},
    "unknown field": {"body": VALID | {"role": "admin"}},
    "status on create": {"body": VALID | {"status": "suspended"}},
    "invalid email": {"body": {"email": "ada.example.com", "name": "Ada"}},
    "email without domain dot": {"body": {"email": "ada@localhost", "name": "Ada"}},
    "email with spaces inside": {"body": {"email": "ada lovelace@example.com", "name": "Ada"}},
    "oversize email": {
        "body": {"email": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com", "name": "Ada"}
    },
    "empty name": {"body": {"email": "ada@example.com", "name": ""}},
    "blank name": {"body": {"email": "ada@example.com", "name": "   "}},
    "oversize name": {"body": {"email": "ada@example.com", "name": "A" * 201}},
    "control characters in name": {"body": {"email": "ada@example.com", "name": "Ada\r\nBcc: x"}},
}


def _assert_clear_400(response):
    assert response.status == 400, response.json
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json["message"], str)
    assert response.json["message"]


@pytest.mark.parametrize("case", BAD_CREATE_BODIES.values(), ids=BAD_CREATE_BODIES.keys())
def test_bad_create_is_400_and_writes_nothing(call, tables, case):
    response = call("POST", "/users", **case)

    _assert_clear_400(response)
    assert tables.user_items() == []
    assert tables.claims_by_email() == {}


def test_limits_are_inclusive(call):
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(email) == 254

    response = call("POST", "/users", body={"email": email, "name": "N" * 200})

    assert response.status == 201
    assert response.json["email"] == email


def test_a_body_that_is_not_json_is_415(call, tables):
    response = call(
        "POST", "/users", raw_body="email=ada@example.com", headers={"Content-Type": "text/plain"}
    )

    assert response.status == 415
    assert response.json == {"message": "the body must be application/json"}
    assert tables.user_items() == []


BAD_UPDATE_BODIES = {
    "missing body": {"raw_body": None},
    "null body": {"raw_body": "null"},
    "malformed json": {"raw_body": "{"},
    "empty update": {"body": {}},
    "null name": {"body": {"name": None}},
    "null status with a name": {"body": {"name": "Ada", "status": None}},
    "invalid status": {"body": {"status": "deleted"}},
    "status not a string": {"body": {"status": True}},
    "invalid email": {"body": {"email": "@example.com"}},
    "oversize name": {"body": {"name": "A" * 201}},
    "unknown field": {"body": {"name": "Ada", "userId": "someone-else"}},
    "createdAt is not changeable": {"body": {"createdAt": "2000-01-01T00:00:00.000Z"}},
}


@pytest.mark.parametrize("case", BAD_UPDATE_BODIES.values(), ids=BAD_UPDATE_BODIES.keys())
def test_bad_update_is_400_and_changes_nothing(call, create_user, tables, case):
    user = create_user("ada@example.com")

    response = call("PUT", f"/users/{user['userId']}", **case)

    _assert_clear_400(response)
    assert tables.user_items() == [user]
    assert tables.claims_by_email() == {"ada@example.com": user["userId"]}


def test_validation_errors_name_the_field(call):
    response = call("POST", "/users", body={"email": "ada@example.com", "name": "A" * 201})

    assert response.json["errors"] == [
        {"field": "name", "problem": "String should have at most 200 characters"}
    ]


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda uid: uid.replace("-", ""), lambda uid: f"urn:uuid:{uid}", lambda uid: "{" + uid + "}"],
    ids=["upper-case", "dash-less", "urn", "braced"],
)
def test_only_the_canonical_user_id_names_a_user(call, create_user, spelling):
    user = create_user("ada@example.com")
    assert call("GET", f"/users/{user['userId']}").status == 200

    for method, body in (("GET", None), ("PUT", {"name": "Other"}), ("DELETE", None)):
        response = call(method, f"/users/{spelling(user['userId'])}", body=body)
        _assert_clear_400(response)
    assert call("GET", f"/users/{user['userId']}").json["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 415),
        ("application/x-www-form-urlencoded", 415),
        ("Application/JSON", 201),
        ("application/json; charset=UTF-8", 201),
    ],
)
def test_content_types_on_create(call, tables, content_type, status):
    response = call("POST", "/users", body=VALID, content_type=content_type)
    assert response.status == status, response.json
    assert len(tables.user_items()) == (1 if status == 201 else 0)
