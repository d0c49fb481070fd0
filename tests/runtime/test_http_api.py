"""SAM HTTP APIs (fixtures/http_api, not this project's template) are served by the local API: an
implicit one (functions' ``HttpApi`` events, the ``$default`` stage: no stage in the path) and an
explicit ``AWS::Serverless::HttpApi`` with the named stage ``v1`` (a path prefix, as in AWS:
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html). Events and
responses follow payload format 2.0 (and 1.0 where the route says so) as "Working with AWS Lambda proxy
integrations for HTTP APIs" documents
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
Before, HTTP APIs had no routes: every request was 404 "no route"."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from orderflow.api import ApiServer
from tests.runtime.runtime_support import api_fixture, call_api

pytestmark = pytest.mark.e2e

TEMPLATE = Path(__file__).parent / "fixtures" / "http_api" / "template.yaml"


api = api_fixture(TEMPLATE, "httpapis")


def test_routes_of_both_apis(api: tuple[Any, ApiServer]) -> None:
    runtime, _ = api
    routes = {(r.http_api.stage, r.http_api.route_key) for r in runtime.routes if r.http_api is not None}
    assert routes == {
        ("$default", "GET /items/{id}"),
        ("$default", "POST /items"),
        ("$default", "GET /plain"),
        ("$default", "GET /text"),
        ("v1", "$default"),
        ("v1", "ANY /files/{proxy+}"),
        ("v1", "GET /legacy"),
    }


def test_payload_format_2_event(api: tuple[Any, ApiServer]) -> None:
    runtime, server = api
    status, headers, answer = call_api(
        server, "GET", "/items/42?a=1&a=2&b=x", headers={"X-Custom": "One", "Cookie": "s=1; t=2"}
    )
    assert status == 201 and headers["x-echo"] == "yes"
    event = answer["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42" and event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["headers"]["x-custom"] == "One"
    assert all(name == name.lower() for name in event["headers"])
    assert event["cookies"] == ["s=1", "t=2"] and "cookie" not in event["headers"]
    assert "body" not in event and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default" and context["routeKey"] == "GET /items/{id}"
    assert context["apiId"] == runtime.resources["ServerlessHttpApi"]
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/items/42"
    assert {"accountId", "domainName", "requestId", "time", "timeEpoch"} <= set(context)
    assert {"protocol", "sourceIp", "userAgent"} <= set(context["http"])


def test_payload_format_2_body(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    status, _, answer = call_api(server, "POST", "/items", body=b'{"n": 1}')
    assert status == 201
    assert answer["event"]["body"] == '{"n": 1}' and answer["event"]["isBase64Encoded"] is False
    assert "pathParameters" not in answer["event"]


def test_a_plain_return_is_200_json(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    status, headers, answer = call_api(server, "GET", "/plain?q=1")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert answer == {"plain": True, "route": "GET /plain", "query": {"q": "1"}}


def test_a_string_return_is_the_body(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    request = urllib.request.Request(server.base_url + "/text")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        assert response.read() == b"hello"


def test_the_default_route_takes_what_no_route_matches(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    status, _, answer = call_api(server, "PATCH", "/v1/some/where?k=v")
    assert status == 200 and answer == {"plain": True, "route": "$default", "query": {"k": "v"}}
    status, _, answer = call_api(server, "POST", "/v1/legacy")
    assert status == 200 and answer["route"] == "$default", "a known path with another method"


def test_named_stage_is_a_path_prefix(api: tuple[Any, ApiServer]) -> None:
    runtime, server = api
    status, _, answer = call_api(server, "DELETE", "/v1/files/a/b.txt")
    assert status == 201
    event = answer["event"]
    assert event["routeKey"] == "ANY /files/{proxy+}" and event["pathParameters"] == {"proxy": "a/b.txt"}
    assert event["rawPath"] == "/v1/files/a/b.txt" and event["requestContext"]["stage"] == "v1"
    assert event["requestContext"]["apiId"] == runtime.resources["ShopApi"]
    assert call_api(server, "GET", "/files/a")[0] == 404, "without its stage"
    assert call_api(server, "GET", "/elsewhere")[0] == 404, "the v1 $default route is under its stage"
    status, _, answer = call_api(server, "GET", "/v1/items/1")
    assert (status, answer["route"]) == (200, "$default"), "v1's $default route, not the other API's"


def test_payload_format_1_on_an_http_api(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    status, _, answer = call_api(server, "GET", "/v1/legacy?x=1", headers={"X-Custom": "One"})
    assert status == 201
    event = answer["event"]
    assert event["version"] == "1.0"
    assert event["httpMethod"] == "GET" and event["resource"] == "/legacy" and event["path"] == "/legacy"
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1"]}
    assert event["requestContext"]["stage"] == "v1"


def test_no_route_is_404_json(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    status, _, answer = call_api(server, "GET", "/nothing/here")
    assert status == 404 and "no route" in answer["message"]
