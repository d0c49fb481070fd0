"""Idempotency-Key on POST /orders (STANDARD workflow): the key is the order id and the execution
name; the same key and order is answered as the first request was, whether it is still running or
long finished, another order under the same key is 422, and one key never places two orders."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.e2e_support import Stack
from tests.e2e.idempotency_support import post_with_key
from tests.e2e.test_crash import crash_at, target

pytestmark = pytest.mark.e2e


def notifications_for(stack: Stack, order_id: str) -> list[dict[str, Any]]:
    return [n for n in stack.drain_notifications() if n.get("orderId") == order_id]


def executions_named(stack: Stack, name: str) -> int:
    sfn, arn = stack.client("stepfunctions"), stack.runtime.outputs["OrderWorkflowArn"]
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
    return sum(1 for page in pages for execution in page["executions"] if execution["name"] == name)


def test_same_key_concurrently_five_times_places_one_order(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stack.seed_products(mug=10)
    key = str(uuid.uuid4())
    body = {"customerId": "c-idem", "items": [{"productId": ids["mug"], "quantity": 2}]}
    # ValidateOrder waits at a gate until all five requests are answered: they all meet a running execution
    validate = stack.runtime.resources["ValidateOrderFunction"]
    gate = threading.Event()
    invoke = stack.runtime.hooks.invoke_function

    def gated(function_name: str, event: Any, invocation_type: str, request_id: str | None = None) -> Any:
        if function_name == validate and event.get("executionName") == key:
            assert gate.wait(30), "the test never opened the gate"
        return invoke(function_name, event, invocation_type, request_id)

    monkeypatch.setattr(stack.runtime.hooks, "invoke_function", gated)
    barrier = threading.Barrier(5)

    def post(_: int) -> tuple[int, Any]:
        barrier.wait(10)
        return post_with_key(stack.api, body, key)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(post, range(5)))
    gate.set()

    assert {status for status, _ in answers} == {202}, answers
    assert {answer["orderId"] for _, answer in answers} == {key}
    assert len({answer["executionArn"] for _, answer in answers}) == 1
    final, _ = stack.final_status(key)
    assert final["status"] == "CONFIRMED"
    assert stack.stock_of(ids["mug"]) == 8
    assert executions_named(stack, key) == 1
    assert len(notifications_for(stack, key)) == 1


def test_same_key_after_completion_five_times_answers_the_first_request(stack: Stack) -> None:
    ids = stack.seed_products(pot=10)
    key = f"key-{uuid.uuid4().hex}"
    body = {"customerId": "c-idem", "items": [{"productId": ids["pot"], "quantity": 3}]}
    status, first = post_with_key(stack.api, body, key)
    assert status == 202, first
    assert stack.final_status(key)[0]["status"] == "CONFIRMED"

    for _ in range(5):
        assert post_with_key(stack.api, body, key) == (202, first)
    # the body's orderId is the same key, so it is the same order too
    assert post_with_key(stack.api, {**body, "orderId": key}, None) == (202, first)

    assert stack.stock_of(ids["pot"]) == 7
    assert executions_named(stack, key) == 1
    assert len(notifications_for(stack, key)) == 1


def test_same_key_with_a_different_order_is_422_and_changes_nothing(stack: Stack) -> None:
    ids = stack.seed_products(pan=10)
    key = f"key-{uuid.uuid4().hex}"
    body = {"customerId": "c-idem", "items": [{"productId": ids["pan"], "quantity": 1}]}
    assert post_with_key(stack.api, body, key)[0] == 202
    assert stack.final_status(key)[0]["status"] == "CONFIRMED"

    for other in (
        {**body, "customerId": "c-other"},
        {**body, "items": [{"productId": ids["pan"], "quantity": 2}]},
    ):
        status, answer = post_with_key(stack.api, other, key)
        assert status == 422, answer
        assert answer["orderId"] == key
        assert "already used for a different order" in answer["message"]
    assert stack.stock_of(ids["pan"]) == 9
    assert executions_named(stack, key) == 1


def test_without_a_key_each_post_is_a_new_order(stack: Stack) -> None:
    ids = stack.seed_products(jar=10)
    body = {"customerId": "c-idem", "items": [{"productId": ids["jar"], "quantity": 1}]}
    first, second = post_with_key(stack.api, body, None), post_with_key(stack.api, body, None)
    assert first[0] == second[0] == 202
    assert first[1]["orderId"] != second[1]["orderId"]


def test_a_retry_after_the_orders_api_crashed_past_start_execution_places_one_order(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OrdersApi worker dies after StartExecution ran but before its answer: the client gets 502
    and retries with the same key; one order, one decrement, one notification, CONFIRMED. The worker
    is held at the embedded AWS's gate (tests/e2e/test_crash.py) while it is killed."""
    ids = stack.seed_products(kettle=5)
    key = str(uuid.uuid4())
    body = {"customerId": "c-crash", "items": [{"productId": ids["kettle"], "quantity": 1}]}

    def start_of_this_order(environ: dict[str, Any], data: bytes) -> bool:
        return target(environ).endswith(".StartExecution") and json.loads(data).get("name") == key

    killed = crash_at(stack, monkeypatch, "OrdersApiFunction", "after", start_of_this_order)
    status, answer = post_with_key(stack.api, body, key)
    assert (status, answer) == (502, {"message": "Internal server error"})
    assert len(killed.wait()) == 1
    assert executions_named(stack, key) == 1  # the execution had started

    status, retried = post_with_key(stack.api, body, key)
    assert status == 202, retried
    assert retried["orderId"] == key
    assert retried["executionArn"].endswith(f":{key}")
    final, _ = stack.final_status(key)
    assert final["status"] == "CONFIRMED"
    assert stack.stock_of(ids["kettle"]) == 4
    assert executions_named(stack, key) == 1
    assert len(notifications_for(stack, key)) == 1
    assert stack.order_item(key) is not None
