"""Payload format 2.0 (HTTP APIs) without a runtime: the event's shape and the response rules of
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html;
a malformed response with a statusCode is a 502, as for REST APIs."""

from __future__ import annotations

import pytest

from orderflow.api.events import HttpRequest, MalformedProxyResponse
from orderflow.api.http_events import build_event_v2, parse_v2_response


def test_event_keys_without_values_are_absent() -> None:
    request = HttpRequest("GET", "/x", "", [("Host", "h.example"), ("X-A", "1"), ("x-a", "2")], b"")
    event = build_event_v2(
        request,
        route_key="GET /x",
        path_parameters={},
        stage="$default",
        api_id="a1",
        account_id="1",
        now=0.0,
    )
    assert event["headers"] == {"host": "h.example", "x-a": "1,2"}
    assert not {"cookies", "queryStringParameters", "pathParameters", "body"} & set(event)
    assert event["requestContext"]["time"] == "01/Jan/1970:00:00:00 +0000"
    assert event["requestContext"]["timeEpoch"] == 0 and event["requestContext"]["domainPrefix"] == "h"


def test_binary_body_is_base64() -> None:
    request = HttpRequest("POST", "/x", "", [], b"\xff\x00")
    event = build_event_v2(
        request, route_key="POST /x", path_parameters={}, stage="$default", api_id="a", account_id="1"
    )
    assert event["body"] == "/wA=" and event["isBase64Encoded"] is True


def test_response_rules() -> None:
    assert parse_v2_response([1, 2]).body == b"[1, 2]"
    assert parse_v2_response(None).status == 200
    response = parse_v2_response(
        {"statusCode": 302, "headers": {"Location": "/y"}, "cookies": ["a=1", "b=2"]}
    )
    assert response.status == 302
    assert ("Set-Cookie", "a=1") in response.headers and ("Set-Cookie", "b=2") in response.headers
    assert parse_v2_response('{"statusCode": 204}').status == 204


@pytest.mark.parametrize(
    "payload", [{"statusCode": "nope"}, {"statusCode": 200, "body": 5}, {"statusCode": 200, "cookies": "a=1"}]
)
def test_malformed_responses_are_refused(payload: object) -> None:
    with pytest.raises(MalformedProxyResponse):
        parse_v2_response(payload)
