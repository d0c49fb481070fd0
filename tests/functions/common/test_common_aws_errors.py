"""orderflow_common.aws_errors: which AWS failures are transient, and how cancellations are decoded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError as BotocoreClientError
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from orderflow_common.aws_errors import (
    error_code,
    is_transient,
    max_attempts_reached,
    transaction_cancellation,
    transient_errors,
)
from orderflow_common.errors import TransientServiceError


def client_error(
    code: str,
    status: int = 400,
    *,
    operation: str = "PutItem",
    metadata: dict[str, Any] | None = None,
    **fields: Any,
) -> BotocoreClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "a message"},
        "ResponseMetadata": {"HTTPStatusCode": status, **(metadata or {})},
        **fields,
    }
    return BotocoreClientError(response, operation)  # type: ignore[arg-type]


# ------------------------------------------------------------------ transient or not
@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling", operation="SendEmail"),  # SES's code, missing from the old list
        client_error("ThrottlingException"),
        client_error("ProvisionedThroughputExceededException"),
        client_error("RequestLimitExceeded"),
        client_error("TooManyRequestsException"),
        client_error("RequestTimeoutException"),
        client_error("InternalServerError", 500),
        client_error("ServiceUnavailable", 503),
        client_error("SomethingNew", 503),  # an unknown code: the status decides
        client_error("", 502),
        client_error("SomethingNew", 429),
        client_error(
            "ReplicatedWriteConflictException",
            metadata={"MaxAttemptsReached": True, "RetryAttempts": 2},
        ),
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
    ids=lambda error: error_code(error) or type(error).__name__,
)
def test_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ValidationException"),
        client_error("ConditionalCheckFailedException"),
        client_error("TransactionCanceledException"),
        client_error("ResourceNotFoundException"),
        client_error("MessageRejected", operation="SendEmail"),
        client_error("AccessDeniedException", 403),
        # The last attempt allowed, with no retry before it: botocore flags it, but nothing was retried.
        client_error(
            "ConditionalCheckFailedException", metadata={"MaxAttemptsReached": True, "RetryAttempts": 0}
        ),
        ParamValidationError(report="missing TableName"),
        ValueError("not an AWS error at all"),
    ],
    ids=lambda error: error_code(error) or type(error).__name__,
)
def test_not_transient(error):
    assert not is_transient(error)


def test_max_attempts_reached_needs_the_flag_and_a_retry():
    assert max_attempts_reached(client_error("X", metadata={"MaxAttemptsReached": True, "RetryAttempts": 1}))
    assert not max_attempts_reached(client_error("X", metadata={"RetryAttempts": 2}))
    assert not max_attempts_reached(ValueError())


def _throttled_ses(max_attempts: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real SES client whose every request is answered with SES's Throttling error (HTTP 400)."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    client = botocore.session.get_session().create_client(
        "ses",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": max_attempts}),
    )
    body = (
        b'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
        b"<Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error>"
        b"<RequestId>r-1</RequestId></ErrorResponse>"
    )
    sent: list[int] = []

    def answer(request: Any, **_kwargs: Any) -> AWSResponse:
        sent.append(1)
        return AWSResponse(request.url, 400, {}, _Raw(body))

    client.meta.events.register("before-send.ses.SendEmail", answer)
    client.sent = sent
    return client


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def test_botocore_retries_throttling_to_the_end_and_the_result_is_transient(monkeypatch):
    ses = _throttled_ses(max_attempts=3, monkeypatch=monkeypatch)
    with pytest.raises(BotocoreClientError) as raised:
        ses.send_email(
            Source="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
        )
    assert len(ses.sent) == 3  # botocore retried it: it is throttling in botocore's own eyes
    assert error_code(raised.value) == "Throttling"
    assert raised.value.response["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert is_transient(raised.value)


# ------------------------------------------------------------------ transient_errors
def test_transient_errors_renames_a_transient_failure_and_keeps_its_cause():
    original = client_error("ThrottlingException")
    expected = r"^Query: ThrottlingException after retries$"
    with pytest.raises(TransientServiceError, match=expected) as raised, transient_errors("Query"):
        raise original
    assert raised.value.__cause__ is original


def test_transient_errors_names_a_connection_failure_by_its_class():
    with pytest.raises(TransientServiceError, match="EndpointConnectionError"), transient_errors("GetItem"):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


def test_transient_errors_can_drop_the_cause():
    with pytest.raises(TransientServiceError) as raised, transient_errors("SendEmail", keep_cause=False):
        raise client_error("Throttling", operation="SendEmail")
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize(
    "error", [client_error("ConditionalCheckFailedException"), ParamValidationError(report="x"), KeyError()]
)
def test_transient_errors_lets_everything_else_through_unchanged(error):
    with pytest.raises(type(error)) as raised, transient_errors("PutItem"):
        raise error
    assert raised.value is error


# ------------------------------------------------------------------ TransactWriteItems cancellations
def cancelled(*reasons: dict[str, Any]) -> BotocoreClientError:
    return client_error(
        "TransactionCanceledException", operation="TransactWriteItems", CancellationReasons=list(reasons)
    )


def test_cancellation_reasons_are_decoded_in_item_order_with_their_old_images():
    exc = cancelled(
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Item": {"productId": {"S": "p-1"}, "stock": {"N": "2"}}},
        {"Code": "ConditionalCheckFailed"},
        {},
    )

    cancellation = transaction_cancellation(exc, items=4)

    assert cancellation is not None
    assert cancellation.codes == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None"]
    assert [reason.condition_failed for reason in cancellation.reasons] == [False, True, True, False]
    assert cancellation.reasons[1].item == {"productId": "p-1", "stock": Decimal(2)}
    assert cancellation.reasons[2].item == {}
    assert cancellation.only_conditions_failed
    assert not cancellation.conflict
    assert not cancellation.throttled


@pytest.mark.parametrize(
    ("codes", "conflict", "throttled"),
    [
        (("TransactionConflict", "None"), True, False),
        (("None", "ThrottlingError"), False, True),
        (("ProvisionedThroughputExceeded", "None"), False, True),
        (("RequestLimitExceeded", "None"), False, True),
        (("ValidationError", "None"), False, False),
    ],
)
def test_cancellation_tells_conflicts_and_throttling_apart(codes, conflict, throttled):
    cancellation = transaction_cancellation(cancelled(*({"Code": code} for code in codes)), items=2)

    assert cancellation is not None
    assert (cancellation.conflict, cancellation.throttled) == (conflict, throttled)
    assert not cancellation.only_conditions_failed


def test_a_cancellation_that_does_not_match_the_request_is_not_decoded():
    assert transaction_cancellation(cancelled({"Code": "None"}), items=2) is None
    assert transaction_cancellation(client_error("TransactionCanceledException"), items=1) is None
    assert transaction_cancellation(client_error("ValidationException"), items=0) is None
