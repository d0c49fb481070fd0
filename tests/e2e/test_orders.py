"""Orders end to end: HTTP -> OrdersApi -> Step Functions -> Lambdas -> DynamoDB / SQS."""

from __future__ import annotations

import json
import re
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.e2e_support import Stack

pytestmark = pytest.mark.e2e

TASK_STATES = ("ValidateOrder", "CheckStock", "WriteOrder", "NotifyOrder")


def submit(stack: Stack, body: dict) -> dict:
    status, accepted = stack.api.post("/orders", body)
    assert status == 202, (status, accepted)
    assert set(accepted) >= {"orderId", "executionArn"}
    return accepted


def test_confirmed_order_writes_decrements_and_notifies(stack: Stack) -> None:
    ids = stack.seed_products(beans=10, pot=5, cup=3)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    accepted = submit(
        stack,
        {
            "orderId": order_id,
            "customerId": "c-1",
            "items": [
                {"productId": ids["beans"], "quantity": 2},
                {"productId": ids["pot"], "quantity": 1},
                {"productId": ids["cup"], "quantity": 3},
            ],
        },
    )
    assert accepted["orderId"] == order_id
    assert accepted["executionArn"].endswith(f":{order_id}")

    body, _ = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED", body

    item = stack.order_item(order_id)
    assert item is not None
    assert item["customerId"] == "c-1"
    assert item["status"] == "CONFIRMED"
    assert item["totalAmount"] == Decimal("15.00")
    assert sorted((line["productId"], int(line["quantity"])) for line in item["items"]) == sorted(
        [(ids["beans"], 2), (ids["pot"], 1), (ids["cup"], 3)]
    )
    assert isinstance(item["expiresAt"], Decimal) and item["expiresAt"] > 0

    assert stack.stock_of(ids["beans"]) == 8
    assert stack.stock_of(ids["pot"]) == 4
    assert stack.stock_of(ids["cup"]) == 0

    mine = [m for m in stack.drain_notifications() if m.get("orderId") == order_id]
    assert len(mine) == 1, mine
    assert mine[0]["customerId"] == "c-1"
    assert Decimal(str(mine[0]["totalAmount"])) == Decimal("15.00")


def test_out_of_stock_order_is_rejected_without_writes(stack: Stack) -> None:
    ids = stack.seed_products(rare=1, common=50)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    submit(
        stack,
        {
            "orderId": order_id,
            "customerId": "c-2",
            "items": [{"productId": ids["common"], "quantity": 1}, {"productId": ids["rare"], "quantity": 2}],
        },
    )
    body, _ = stack.final_status(order_id)
    assert body["status"] == "REJECTED", body
    assert body["reason"] == "OutOfStock"
    assert ids["rare"] in body["message"] and "requested 2, available 1" in body["message"], body

    assert stack.stock_of(ids["rare"]) == 1
    assert stack.stock_of(ids["common"]) == 50
    assert stack.order_item(order_id) is None
    assert [m for m in stack.drain_notifications() if m.get("orderId") == order_id] == []


def test_unknown_product_is_rejected(stack: Stack) -> None:
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    submit(stack, {"orderId": order_id, "customerId": "c-3", "items": [{"productId": "nope", "quantity": 1}]})
    body, _ = stack.final_status(order_id)
    assert body["status"] == "REJECTED", body
    assert body["reason"] == "ProductNotFound"
    assert "nope" in body["message"]
    assert stack.order_item(order_id) is None


def test_invalid_order_is_rejected(stack: Stack) -> None:
    ids = stack.seed_products(cup=5)
    invalid = {"customerId": "c-4", "items": [{"productId": ids["cup"], "quantity": 0}]}

    # Through the API: refused up front with the offending field, no execution started.
    executions_before = stack.execution_count()
    status, body = stack.api.post("/orders", invalid)
    assert status == 400, (status, body)
    assert "quantity" in body["message"], body
    assert stack.execution_count() == executions_before

    # Straight into the workflow: ValidateOrder rejects it, the execution still SUCCEEDS.
    sfn = stack.client("stepfunctions")
    name = f"ord-{uuid.uuid4().hex[:12]}"
    arn = sfn.start_execution(
        stateMachineArn=stack.runtime.outputs["OrderWorkflowArn"], name=name, input=json.dumps(invalid)
    )["executionArn"]
    final, _ = stack.final_status(name)
    assert final["status"] == "REJECTED"
    description = sfn.describe_execution(executionArn=arn)
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output["status"] == "REJECTED"
    assert output["reason"] == "ValidationError"
    assert stack.stock_of(ids["cup"]) == 5
    assert stack.order_item(name) is None


def test_status_goes_from_pending_to_final(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = stack.seed_products(a=5, b=5, c=5)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    # CheckStock's invocations wait for a gate, so the execution is certainly RUNNING while we look.
    check_stock = stack.runtime.resources["CheckStockFunction"]
    gate, reached = threading.Event(), threading.Event()
    invoke = stack.runtime.hooks.invoke_function

    def gated(function_name: str, event: Any, invocation_type: str, request_id: str | None = None) -> Any:
        if function_name == check_stock and event.get("orderId") == order_id:
            reached.set()
            assert gate.wait(15), "the test never opened the gate"
        return invoke(function_name, event, invocation_type, request_id)

    monkeypatch.setattr(stack.runtime.hooks, "invoke_function", gated)
    submit(
        stack,
        {
            "orderId": order_id,
            "customerId": "c-5",
            "items": [{"productId": ids[k], "quantity": 1} for k in "abc"],
        },
    )
    assert reached.wait(15)
    status, pending = stack.api.get(f"/orders/{order_id}")
    assert (status, pending) == (200, {"orderId": order_id, "status": "PENDING"})
    gate.set()

    body, seen = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED"
    assert re.fullmatch(r"(PENDING,)*CONFIRMED", ",".join(seen)), seen
    assert stack.api.get(f"/orders/{order_id}")[1]["status"] == "CONFIRMED"


def test_unknown_order_is_404(stack: Stack) -> None:
    status, body = stack.api.get(f"/orders/ord-{uuid.uuid4().hex[:12]}")
    assert status == 404
    assert "message" in body


def test_execution_history_shows_every_task_state(stack: Stack) -> None:
    ids = stack.seed_products(x=4, y=4, z=4)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    accepted = submit(
        stack,
        {
            "customerId": "c-6",
            "orderId": order_id,
            "items": [{"productId": ids[k], "quantity": 1} for k in "xyz"],
        },
    )
    stack.final_status(order_id)
    sfn = stack.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=accepted["executionArn"], maxResults=1000)["events"]
    types = [e["type"] for e in events]
    assert types[0] == "ExecutionStarted"
    assert types[-1] == "ExecutionSucceeded"

    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "TaskStateEntered"]
    exited = [e["stateExitedEventDetails"]["name"] for e in events if e["type"] == "TaskStateExited"]
    assert entered == list(TASK_STATES)
    assert exited == list(TASK_STATES)
    succeeded = [t for t in types if t in ("LambdaFunctionSucceeded", "TaskSucceeded")]
    assert len(succeeded) == len(TASK_STATES), types
    passes = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "PassStateEntered"]
    assert passes == ["OrderConfirmed"]

    # ... and the same history through the CLI, as a table.
    from orderflow.history import show_history

    table = show_history(order_id, stack.endpoint, "e2e")
    for state in TASK_STATES:
        assert state in table
    assert "SUCCEEDED" in table


def test_concurrent_orders_for_the_last_unit(stack: Stack) -> None:
    """Two orders race for one unit: exactly one is CONFIRMED, stock never goes negative."""
    import threading

    from orderflow.api.client import ApiClient

    ids = stack.seed_products(last=1)
    order_ids = [f"ord-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    results: list[int] = []

    def post(order_id: str) -> None:
        client = ApiClient(stack.api_server.url)
        status, _ = client.post(
            "/orders",
            {"orderId": order_id, "customerId": "c-7", "items": [{"productId": ids["last"], "quantity": 1}]},
        )
        results.append(status)
        client.close()

    threads = [threading.Thread(target=post, args=(oid,)) for oid in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == [202, 202]
    statuses = sorted(stack.final_status(oid)[0]["status"] for oid in order_ids)
    assert statuses == ["CONFIRMED", "REJECTED"]
    assert stack.stock_of(ids["last"]) == 0


def test_a_standard_execution_is_also_logged_to_the_workflow_log_group(stack: Stack) -> None:
    """Logging: Level ALL, IncludeExecutionData: true in the template: every event of the execution,
    with its data, reaches the log group the template names (the same records EXPRESS is read from)."""
    ids = stack.seed_products(tea=2)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    accepted = submit(
        stack, {"orderId": order_id, "customerId": "c-1", "items": [{"productId": ids["tea"], "quantity": 1}]}
    )
    body, _ = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED", body
    history = stack.client("stepfunctions").get_execution_history(executionArn=accepted["executionArn"])[
        "events"
    ]

    group = stack.client("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/states/e2e-")[
        "logGroups"
    ]
    [name] = [g["logGroupName"] for g in group]
    events = stack.client("logs").filter_log_events(logGroupName=name)["events"]
    records = sorted(
        (
            r
            for r in map(lambda e: json.loads(e["message"]), events)
            if r["execution_arn"] == accepted["executionArn"]
        ),
        key=lambda r: int(r["id"]),
    )

    assert [r["type"] for r in records] == [str(e["type"]) for e in history]
    assert json.loads(records[0]["details"]["input"])["orderId"] == order_id
    assert json.loads(records[-1]["details"]["output"])["status"] == "CONFIRMED"
