"""The order workflow's paths, one MockConfigFile.json test case each, asserted on the execution history.

Every test reads GetExecutionHistory: the states entered in order, the attempts per Task state
(TaskScheduled events: 1 + retries), the error of every failed attempt, the final event, status and
output. Fully mocked cases run on every target; hybrid cases (some states real) need the stack's
Lambdas, tables and queues: the embedded runtime, or ORDERFLOW_STACK_NAME for an external target.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.statemachine.flow_support import MOCK_CONFIG, Run, Target

HAPPY_STATES = ["ValidateOrder", "CheckStock", "WriteOrder", "NotifyOrder", "OrderConfirmed"]
ONE_ATTEMPT_EACH = {"ValidateOrder": 1, "CheckStock": 1, "WriteOrder": 1, "NotifyOrder": 1}
ORDER_INPUT = {"customerId": "customer-1", "items": [{"productId": "sm-pen", "quantity": 2}]}
MOCKED_ORDER_ID = "order-mocked-1"  # the orderId of the mocked payloads
PRICED_PEN = [{"productId": "sm-pen", "name": "Pen", "quantity": 2, "unitPrice": "2.50", "lineTotal": "5.00"}]
CONFIRMED_MOCKED = {
    "orderId": MOCKED_ORDER_ID,
    "status": "CONFIRMED",
    "customerId": "customer-1",
    "items": PRICED_PEN,
    "totalAmount": "5.00",
    "createdAt": "2025-01-15T10:30:00.000Z",
    "notification": {"status": "SENT", "messageId": "mocked-message-1"},
}
MOCKS = json.loads(MOCK_CONFIG.read_text(encoding="utf-8"))
SERVICE_EXCEPTION = "Lambda.ServiceException"


def mocked_throw(response_name: str, attempt: str = "0") -> dict[str, str]:
    return dict(MOCKS["MockedResponses"][response_name][attempt]["Throw"])


def scheduled_parameters(run: Run, state: str) -> dict[str, Any]:
    """The Parameters (paths resolved) the first attempt of ``state`` was scheduled with."""
    current = None
    for event in run.events:
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskScheduled" and current == state:
            return dict(json.loads(event["taskScheduledEventDetails"]["parameters"]))
    raise AssertionError(f"{state} was never scheduled")


def scheduled_payload(run: Run, state: str) -> Any:
    return scheduled_parameters(run, state)["Payload"]


def assert_succeeded(run: Run) -> None:
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.final_event()["type"] == "ExecutionSucceeded"
    assert json.loads(run.final_event()["executionSucceededEventDetails"]["output"]) == run.output


def unique_products(target: Target, **stock: int) -> dict[str, str]:
    """Products only the calling test uses (price 2.50): name -> product id."""
    prefix = uuid.uuid4().hex[:8]
    ids = {name: f"sm-{prefix}-{name}" for name in stock}
    target.seed_products(
        {ids[name]: {"name": name, "price": Decimal("2.50"), "stock": count} for name, count in stock.items()}
    )
    return ids


# ------------------------------------------------------------------------------------ fully mocked


def test_happy_path_runs_the_four_tasks_once_each_and_confirms(flow: Target) -> None:
    run = flow.run("HappyPath", ORDER_INPUT)

    assert_succeeded(run)
    assert run.entered() == HAPPY_STATES
    assert run.attempts() == ONE_ATTEMPT_EACH
    assert run.failures() == []
    assert run.output == CONFIRMED_MOCKED
    # The ASL's Parameters, as the (mocked) Lambdas would have received them.
    assert scheduled_payload(run, "ValidateOrder") == {"order": ORDER_INPUT, "executionName": run.name}
    assert scheduled_payload(run, "NotifyOrder") == {
        "orderId": MOCKED_ORDER_ID,
        "customerId": "customer-1",
        "totalAmount": "5.00",
    }
    if flow.has_stack:  # a mocked task never calls its service
        assert flow.order_item(MOCKED_ORDER_ID) is None


@pytest.mark.parametrize(
    ("test_case", "response", "entered"),
    [
        ("ValidationFailed", "ValidateOrderValidationError", ["ValidateOrder"]),
        ("ProductNotFound", "CheckStockProductNotFound", ["ValidateOrder", "CheckStock"]),
        ("OutOfStock", "CheckStockOutOfStock", ["ValidateOrder", "CheckStock"]),
        ("StockRaceAtWrite", "WriteOrderOutOfStock", ["ValidateOrder", "CheckStock", "WriteOrder"]),
    ],
)
def test_business_rejection_is_caught_and_the_execution_succeeds_rejected(
    flow: Target, test_case: str, response: str, entered: list[str]
) -> None:
    run = flow.run(test_case, ORDER_INPUT)

    thrown = mocked_throw(response)
    assert_succeeded(run)
    assert run.entered() == [*entered, "OrderRejected"]
    # A business error is never retried: one attempt per state, the last one failed with it.
    assert run.attempts() == dict.fromkeys(entered, 1)
    assert run.failures() == [(entered[-1], thrown["Error"])]
    assert run.output == {
        "orderId": run.name,  # $$.Execution.Name: the API starts executions with name = order id
        "status": "REJECTED",
        "reason": thrown["Error"],
        "cause": thrown["Cause"],
    }
    if flow.has_stack:
        assert flow.order_item(MOCKED_ORDER_ID) is None
        assert flow.order_item(run.name) is None


@pytest.mark.parametrize(
    ("test_case", "state", "error"),
    [
        ("ValidateOrderRetryThenSuccess", "ValidateOrder", "Lambda.TooManyRequestsException"),
        ("CheckStockRetryThenSuccess", "CheckStock", SERVICE_EXCEPTION),
        ("WriteOrderRetryThenSuccess", "WriteOrder", "Lambda.TooManyRequestsException"),
        ("NotifyOrderRetryThenSuccess", "NotifyOrder", SERVICE_EXCEPTION),
    ],
)
def test_transient_lambda_errors_are_retried_then_succeed(
    flow: Target, test_case: str, state: str, error: str
) -> None:
    run = flow.run(test_case, ORDER_INPUT)

    assert_succeeded(run)
    assert run.entered() == HAPPY_STATES  # retries stay inside the state: entered once
    assert run.attempts() == {**ONE_ATTEMPT_EACH, state: 3}
    assert run.failures() == [(state, error), (state, error)]
    assert run.output == CONFIRMED_MOCKED


def test_retries_exhausted_fails_the_execution_unlike_a_rejection(flow: Target) -> None:
    run = flow.run("RetriesExhausted", ORDER_INPUT)

    thrown = mocked_throw("CheckStockServiceErrorAlways", "0-3")
    assert run.status == "FAILED"
    assert (run.error, run.cause) == (thrown["Error"], thrown["Cause"])
    assert run.output is None
    # MaxAttempts 3: the first attempt and three retries, then the error is not caught (no rejection).
    assert run.entered() == ["ValidateOrder", "CheckStock"]
    assert run.attempts() == {"ValidateOrder": 1, "CheckStock": 4}
    assert run.failures() == [("CheckStock", SERVICE_EXCEPTION)] * 4
    final = run.final_event()
    assert final["type"] == "ExecutionFailed"
    assert final["executionFailedEventDetails"]["error"] == SERVICE_EXCEPTION


def test_unexpected_task_error_is_neither_retried_nor_caught(flow: Target) -> None:
    run = flow.run("UnexpectedTaskError", ORDER_INPUT)

    assert run.status == "FAILED"
    assert run.error == "ContractError"
    assert run.entered() == ["ValidateOrder", "CheckStock", "WriteOrder"]
    assert run.attempts() == {"ValidateOrder": 1, "CheckStock": 1, "WriteOrder": 1}
    assert run.failures() == [("WriteOrder", "ContractError")]
    assert run.final_event()["type"] == "ExecutionFailed"


def test_notify_fails_after_retries_and_the_message_is_parked_in_the_dlq(flow: Target) -> None:
    flow.require_stack()  # ParkNotification is not mocked: it really sends to the DLQ
    run = flow.run("NotifyFailsAfterRetries", ORDER_INPUT)

    assert_succeeded(run)
    assert run.entered() == [*HAPPY_STATES[:4], "ParkNotification", "OrderConfirmed"]
    assert run.attempts() == {**ONE_ATTEMPT_EACH, "NotifyOrder": 4, "ParkNotification": 1}
    assert run.failures() == [("NotifyOrder", SERVICE_EXCEPTION)] * 4
    notification = run.output["notification"]
    assert run.output == {**CONFIRMED_MOCKED, "notification": notification}
    assert notification["status"] == "PARKED"
    parked = [m for m in flow.parked_messages() if m["MessageId"] == notification["messageId"]]
    assert [m["Body"] for m in parked] == [
        {
            "orderId": MOCKED_ORDER_ID,
            "customerId": "customer-1",
            "totalAmount": "5.00",
            "error": SERVICE_EXCEPTION,
        }
    ]


def test_notification_unsent_when_the_dlq_also_refuses_keeps_the_order_confirmed(flow: Target) -> None:
    run = flow.run("NotificationUnsent", ORDER_INPUT)

    assert_succeeded(run)
    assert run.entered() == [*HAPPY_STATES[:4], "ParkNotification", "NotificationUnsent", "OrderConfirmed"]
    assert run.attempts() == {**ONE_ATTEMPT_EACH, "NotifyOrder": 4, "ParkNotification": 4}
    assert (
        run.failures()
        == [("NotifyOrder", SERVICE_EXCEPTION)] * 4 + [("ParkNotification", "SQS.AmazonSQSException")] * 4
    )
    assert run.output == {**CONFIRMED_MOCKED, "notification": {"status": "UNSENT"}}


def test_any_notify_error_parks_the_notification_without_retrying_it(flow: Target) -> None:
    # Catch States.ALL: a bug in NotifyOrder (not retryable) still never rejects the committed order.
    run = flow.run("NotifyOrderBugParked", ORDER_INPUT)

    assert_succeeded(run)
    assert run.entered() == [*HAPPY_STATES[:4], "ParkNotification", "OrderConfirmed"]
    assert run.attempts() == {**ONE_ATTEMPT_EACH, "ParkNotification": 1}
    assert run.failures() == [("NotifyOrder", "ContractError")]
    parked = scheduled_parameters(run, "ParkNotification")
    assert parked["MessageBody"] == {
        "orderId": MOCKED_ORDER_ID,
        "customerId": "customer-1",
        "totalAmount": "5.00",
        "error": "ContractError",
    }
    assert run.output == {
        **CONFIRMED_MOCKED,
        "notification": {"status": "PARKED", "messageId": "mocked-parked-1"},
    }


# ------------------------------------------------------------------------------------------ hybrid


def test_hybrid_path_real_tasks_write_the_order_and_decrement_stock(flow: Target) -> None:
    flow.require_stack()
    ids = unique_products(flow, pen=5)
    order = {
        "customerId": "customer-7",
        "items": [{"productId": ids["pen"], "quantity": 2}, {"productId": ids["pen"], "quantity": 1}],
    }

    run = flow.run("HybridPath", order)  # only NotifyOrder is mocked

    assert_succeeded(run)
    assert run.entered() == HAPPY_STATES
    assert run.attempts() == ONE_ATTEMPT_EACH
    assert run.failures() == []
    line = {"productId": ids["pen"], "name": "pen", "quantity": 3, "unitPrice": "2.50", "lineTotal": "7.50"}
    assert run.output == {
        "orderId": run.name,
        "status": "CONFIRMED",
        "customerId": "customer-7",
        "items": [line],  # the real ValidateOrder merged the two lines
        "totalAmount": "7.50",
        "createdAt": run.output["createdAt"],
        "notification": {"status": "SENT", "messageId": "mocked-message-1"},
    }
    assert flow.stock_of(ids["pen"]) == 2
    written = flow.order_item(run.name)
    assert written is not None
    assert (written["status"], written["totalAmount"], written["createdAt"]) == (
        "CONFIRMED",
        Decimal("7.50"),
        run.output["createdAt"],
    )
    # The mocked NotifyOrder never ran: nothing for this order reached the notifications queue.
    assert [m for m in flow.notifications() if m["Body"]["orderId"] == run.name] == []


def test_hybrid_notify_failure_parks_the_message_and_keeps_the_order(flow: Target) -> None:
    flow.require_stack()
    ids = unique_products(flow, ink=4)

    run = flow.run(
        "HybridNotifyFailsAfterRetries",
        {"customerId": "customer-8", "items": [{"productId": ids["ink"], "quantity": 4}]},
    )

    assert_succeeded(run)
    assert run.entered() == [*HAPPY_STATES[:4], "ParkNotification", "OrderConfirmed"]
    assert run.attempts() == {**ONE_ATTEMPT_EACH, "NotifyOrder": 4, "ParkNotification": 1}
    assert run.output["status"] == "CONFIRMED"
    assert run.output["notification"]["status"] == "PARKED"
    # Nothing lost: the order is committed and its notification waits in the DLQ to be redriven.
    written = flow.order_item(run.name)
    assert written is not None and written["status"] == "CONFIRMED"
    assert flow.stock_of(ids["ink"]) == 0
    parked = [m for m in flow.parked_messages() if m["Body"]["orderId"] == run.name]
    assert [m["Body"] for m in parked] == [
        {"orderId": run.name, "customerId": "customer-8", "totalAmount": "10.00", "error": SERVICE_EXCEPTION}
    ]
    assert parked[0]["MessageId"] == run.output["notification"]["messageId"]


def test_hybrid_stock_race_real_write_rejects_and_writes_nothing(flow: Target) -> None:
    flow.require_stack()
    # CheckStock is mocked with a stale snapshot (3 widgets in stock); the table holds 2, so the real
    # WriteOrder's conditional transaction refuses and the workflow rejects the order.
    run = flow.run(
        "HybridStockRaceAtWrite",
        {"customerId": "customer-1", "items": [{"productId": "sm-last-widget", "quantity": 3}]},
    )

    assert_succeeded(run)
    assert run.entered() == ["ValidateOrder", "CheckStock", "WriteOrder", "OrderRejected"]
    assert run.attempts() == {"ValidateOrder": 1, "CheckStock": 1, "WriteOrder": 1}
    assert run.failures() == [("WriteOrder", "OutOfStock")]
    assert run.output["status"] == "REJECTED"
    assert run.output["reason"] == "OutOfStock"
    assert "sm-last-widget" in run.output["cause"]
    assert flow.order_item("order-race-hybrid") is None
    assert flow.stock_of("sm-last-widget") == 2


def test_unmocked_execution_runs_every_state_for_real(flow: Target) -> None:
    flow.require_stack()
    ids = unique_products(flow, cup=3)

    run = flow.run(None, {"customerId": "customer-9", "items": [{"productId": ids["cup"], "quantity": 1}]})

    assert_succeeded(run)
    assert run.entered() == HAPPY_STATES
    assert run.attempts() == ONE_ATTEMPT_EACH
    assert run.output["notification"]["status"] == "SENT"
    assert flow.stock_of(ids["cup"]) == 2
    sent = [m for m in flow.notifications() if m["Body"]["orderId"] == run.name]
    assert [m["MessageId"] for m in sent] == [run.output["notification"]["messageId"]]
