"""Strict request bodies (orderflow_common.strict_json), unit level and through the resolver.

Each case is a body the APIs must refuse with a 4xx and a message, never a 500."""

import base64
import json
from http import HTTPStatus

import pytest
from orderflow_common.api import create_resolver, json_response
from orderflow_common.strict_json import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    check_request_body,
    media_type,
    strict_loads,
)
from pydantic import BaseModel, ConfigDict


def event(body, *, content_type="application/json", method="POST", base64_encoded=False):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return {
        "httpMethod": method,
        "resource": "/things",
        "path": "/things",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"httpMethod": method, "resourcePath": "/things", "stage": "v1"},
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ('{"a": 1e999}', "out of range"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": ' + "9" * 4301 + "}", "more than 40 digits"),
        ('{"a": ' + "9" * 41 + "}", "more than 40 digits"),
        ("[" * 1000 + "]" * 1000, "nested deeper"),
        ('{"a":' * 20 + "1" + "}" * 20, "nested deeper"),
        ("[" * 100_000, "nested deeper"),
        ('{"a": "\x00"}', "Invalid control character"),
        ("", "Expecting value"),
        ("{'a': 1}", "Expecting property name"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ('{"\\udfff": 1}', "lone surrogate"),
    ],
)
def test_malformed_json_of_any_kind_is_a_decode_error_with_a_message(text, fragment):
    with pytest.raises(json.JSONDecodeError, match=fragment.replace("(", r"\(")):
        strict_loads(text)


def test_invalid_utf8_is_a_decode_error():
    with pytest.raises(json.JSONDecodeError, match="not valid UTF-8"):
        strict_loads(b'{"a": "\xff\xfe"}')


def test_what_json_allows_stays_allowed():
    assert strict_loads('{"a": [1, -2, 3.5, "\\u00e9", null, true], "b": {"c": "' + "9" * 40 + '"}}') == {
        "a": [1, -2, 3.5, "é", None, True],
        "b": {"c": "9" * 40},
    }
    nested: object = 1
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    assert strict_loads(json.dumps(nested)) == nested


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", ("application/json", {})),
        ("Application/JSON", ("application/json", {})),
        ('application/json; Charset="UTF-8"', ("application/json", {"charset": "utf-8"})),
        (" text/plain ;a=b", ("text/plain", {"a": "b"})),
    ],
)
def test_media_types_are_compared_case_insensitively_with_parameters(header, expected):
    assert media_type(header) == expected


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"body": None}, 400, "a JSON object body is required"),
        ({"body": ""}, 400, "a JSON object body is required"),
        ({"body": '{"a": 1}', "content_type": None}, 415, "the body must be application/json"),
        ({"body": "a=1", "content_type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        ({"body": "--x\r\n", "content_type": "multipart/form-data; boundary=x"}, 415, "application/json"),
        ({"body": '{"a": 1}', "content_type": "text/plain"}, 415, "application/json"),
        ({"body": '{"a": 1}', "content_type": "application/json; charset=latin-1"}, 415, "application/json"),
        ({"body": '{"a": 1}', "content_type": "application/jsonx"}, 415, "application/json"),
        ({"body": "[1, 2]"}, 400, "must be a JSON object, not an array"),
        ({"body": '"text"'}, 400, "not a JSON string"),
        ({"body": "42"}, 400, "not a JSON number"),
        ({"body": "true"}, 400, "not a JSON boolean"),
        ({"body": "null"}, 400, "not a JSON null"),
        ({"body": '{"a": NaN}'}, 400, "malformed JSON body: NaN"),
        ({"body": "x" * (MAX_BODY_BYTES + 1)}, 413, f"limited to {MAX_BODY_BYTES} bytes"),
        (
            {"body": base64.b64encode(b'{"a": "\xff"}').decode(), "base64_encoded": True},
            400,
            "not valid UTF-8",
        ),
        ({"body": "!!not base64!!", "base64_encoded": True}, 400, "not valid base64"),
    ],
)
def test_bodies_refused_before_any_route(kwargs, status, message):
    problem, value = check_request_body(event(**kwargs))
    assert problem is not None and value is None
    assert problem.status == status
    assert message in problem.message


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


@pytest.fixture
def app():
    app = create_resolver()

    @app.post("/things")
    def create(thing: Thing) -> object:
        return json_response(HTTPStatus.CREATED, {"name": thing.name})

    return app


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON", "application/json; charset=UTF-8", "APPLICATION/JSON;x=y"],
)
def test_a_json_object_with_any_spelling_of_the_json_media_type_reaches_the_route(app, content_type):
    response = app.resolve(event('{"name": "ada"}', content_type=content_type), {})
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {"name": "ada"}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('[{"name": "ada"}, {"name": "bob"}]', "application/json", 400),  # never "the first element"
        ("name=ada", "application/x-www-form-urlencoded", 415),  # never "Extra inputs"
        ('{"name": "ada"}', None, 415),
        ('{"name": ' * 1000, "application/json", 400),
        ('{"name": "ada", "name": "bob"}', "application/json", 400),
    ],
)
def test_the_resolver_answers_refused_bodies_as_json_without_calling_the_route(
    app, body, content_type, status
):
    response = app.resolve(event(body, content_type=content_type), {})
    assert response["statusCode"] == status
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert set(json.loads(response["body"])) == {"message"}


def test_a_get_is_not_checked_for_a_body(app):
    @app.get("/things")
    def listing() -> object:
        return json_response(HTTPStatus.OK, {"items": []})

    response = app.resolve(event(None, content_type=None, method="GET"), {})
    assert response["statusCode"] == 200
