"""``orderflow.runtime.aws_wire``: every service the runtime hosts, in every protocol its clients speak,
answers an error that botocore parses back into the same code, message, status and request id; and
the service-specific forms (SQS's awsQueryCompatible header, Lambda's ``Reason``, AccessDenied from
the request layer) come through as AWS's own do.

Formats: the Smithy protocol specifications for awsJson1_0, awsQuery and restJson1, and each API
reference's "Common Errors" page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orderflow.runtime import aws_wire
from tests.support.wire import answering_client

SES_MESSAGE = {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}
CALLS: dict[str, Callable[[Any], Any]] = {
    "dynamodb": lambda c: c.get_item(TableName="t", Key={"k": {"S": "1"}}),
    "sqs": lambda c: c.send_message(QueueUrl="http://127.0.0.1:1/123/q", MessageBody="x"),
    "stepfunctions": lambda c: c.describe_execution(executionArn="arn:aws:states:us-east-1:1:execution:m:e"),
    "ses": lambda c: c.send_email(Source="a@b.example", Destination={"ToAddresses": []}, Message=SES_MESSAGE),
    "lambda": lambda c: c.get_function(FunctionName="fn"),
    "sns": lambda c: c.publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message="x"),
    "events": lambda c: c.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}]),
}


def _parsed(service: str, wire: aws_wire.WireError) -> dict[str, Any]:
    attempts: list[str] = []
    client = answering_client(service, wire, attempts, max_attempts=1)
    with pytest.raises(ClientError) as caught:
        CALLS[service](client)
    return dict(caught.value.response)


@pytest.mark.parametrize(("service", "protocol"), [(s, p) for s, p in aws_wire.PROTOCOLS.items()])
@pytest.mark.parametrize(("code", "status"), [("SomethingWrong", 400), ("InternalFailure", 500)])
def test_every_service_in_its_protocol_round_trips_through_botocore(
    service: str, protocol: str, code: str, status: int
) -> None:
    wire = aws_wire.error_response(service, code, "what went wrong <&>", status, request_id="req-1")
    response = _parsed(service, wire)
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == "what went wrong <&>"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["ResponseMetadata"]["RequestId"] == "req-1"


@pytest.mark.parametrize(("status", "fault"), [(400, "Sender"), (503, "Receiver")])
def test_sqs_json_carries_the_query_protocols_code_and_fault(status: int, fault: str) -> None:
    wire = aws_wire.error_response("sqs", "QueueDoesNotExist", "no queue", status)
    assert ("x-amzn-query-error", f"QueueDoesNotExist;{fault}") in wire.headers
    assert json.loads(wire.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"


@pytest.mark.parametrize("protocol", ["query", "json"])
def test_sqs_access_denied_reads_as_the_query_code_in_both_protocols(protocol: str) -> None:
    wire = aws_wire.error_response(
        "sqs",
        "AccessDenied" if protocol == "query" else "AccessDeniedException",
        "not authorized",
        403,
        protocol=protocol,
        namespace=aws_wire.CORAL_NAMESPACE,
        query_code="AccessDenied",
    )
    if protocol == "query":
        assert b"<Code>AccessDenied</Code>" in wire.body and b"<Type>Sender</Type>" in wire.body
        assert b'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"' in wire.body
    else:
        assert _parsed("sqs", wire)["Error"]["Code"] == "AccessDenied"
        assert json.loads(wire.body)["__type"] == "com.amazon.coral.service#AccessDeniedException"


def test_lambda_throttle_has_reason_and_retry_after() -> None:
    wire = aws_wire.error_response(
        "lambda",
        "TooManyRequestsException",
        "Rate Exceeded.",
        429,
        fields={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
        headers=[("Retry-After", "1")],
    )
    response = _parsed("lambda", wire)
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert ("Retry-After", "1") in wire.headers
    assert json.loads(wire.body)["Type"] == "User"


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown protocol"):
        aws_wire.error_response("dynamodb", "X", "m", 400, protocol="rest-xml")


def test_client_error_is_what_botocore_raises_for_the_same_answer() -> None:
    over_the_wire = _parsed(
        "lambda", aws_wire.error_response("lambda", "AccessDeniedException", "no", 403, request_id="r")
    )
    error = aws_wire.client_error("AccessDeniedException", "no", 403, "GetFunction", request_id="r")
    in_process = error.response
    assert in_process["Error"] == {"Code": over_the_wire["Error"]["Code"], "Message": "no"}
    assert in_process["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert in_process["ResponseMetadata"]["RequestId"] == "r"


def test_lambda_crash_payload_names_the_request_and_the_signal() -> None:
    payload = aws_wire.lambda_crash_payload("abc")
    assert payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "RequestId: abc Error: Runtime exited with error: signal: killed",
    }


@pytest.mark.parametrize(("status", "line"), [(503, "503 Service Unavailable"), (599, "599 Error")])
def test_status_line(status: int, line: str) -> None:
    assert aws_wire.WireError(status, [], b"").status_line == line
