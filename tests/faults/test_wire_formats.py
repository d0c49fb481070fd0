"""Injected errors in each protocol's wire format: botocore parses them into the right ClientError code
and status, and its standard retry mode retries the ones it would retry on AWS.

Each test answers a real boto3 client's request with :func:`wire_error`'s bytes
(``tests.support.wire``) and counts the attempts botocore makes (its back-off delay set to 0).
"""

from __future__ import annotations

import json

import botocore.retries.standard
import pytest
from botocore.exceptions import ClientError

from orderflow.runtime.faults import FaultError, wire_error
from tests.support.wire import answering_client


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)


@pytest.mark.parametrize(
    ("code", "status", "retried"),
    [
        ("ProvisionedThroughputExceededException", 400, True),
        ("ThrottlingException", 400, True),
        ("InternalServerError", 500, True),
        ("ServiceUnavailable", 503, True),
    ],
)
def test_dynamodb_json_errors(code: str, status: int, retried: bool) -> None:
    attempts: list[str] = []
    client = answering_client("dynamodb", wire_error("dynamodb", FaultError(code, status)), attempts)
    with pytest.raises(ClientError) as caught:
        client.get_item(TableName="t", Key={"k": {"S": "1"}})
    error = caught.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert len(attempts) == (3 if retried else 1)


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503)])
def test_sqs_json_protocol_errors(code: str, status: int) -> None:
    attempts: list[str] = []
    client = answering_client("sqs", wire_error("sqs", FaultError(code, status)), attempts)
    with pytest.raises(ClientError) as caught:
        client.send_message(QueueUrl="http://127.0.0.1:1/123/q", MessageBody="x")
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert len(attempts) == 3


def test_sqs_query_protocol_error_is_xml() -> None:
    wire = wire_error("sqs", FaultError("InternalError", 500), protocol="query")
    assert b"<Code>InternalError</Code>" in wire.body and b"<Type>Receiver</Type>" in wire.body


def test_ses_query_throttling() -> None:
    attempts: list[str] = []
    client = answering_client("ses", wire_error("ses", FaultError("Throttling", 400)), attempts)
    with pytest.raises(ClientError) as caught:
        client.send_email(
            Source="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
        )
    assert caught.value.response["Error"]["Code"] == "Throttling"
    assert len(attempts) == 3


def test_lambda_rest_json_too_many_requests() -> None:
    attempts: list[str] = []
    wire = wire_error("lambda", FaultError("TooManyRequestsException", 429))
    assert ("Retry-After", "1") in wire.headers
    client = answering_client("lambda", wire, attempts)
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="fn", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert len(attempts) == 3
    assert "/2015-03-31/functions/fn/invocations" in attempts[0]


def test_lambda_crash_is_a_function_error_not_a_client_error() -> None:
    attempts: list[str] = []
    client = answering_client("lambda", wire_error("lambda", FaultError("crash", 200)), attempts)
    response = client.invoke(FunctionName="fn", Payload=b"{}")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Runtime.ExitError"
    assert len(attempts) == 1
