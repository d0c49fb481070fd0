"""A changed template on a kept state dir is applied as CloudFormation applies it (moto/cfn_update.py).

The project's own template, through the real runtime and its local API: WorkflowType STANDARD ->
EXPRESS -> STANDARD on one state dir, an order placed after each change. CloudFormation replaces a
state machine whose StateMachineType changes ("Update requires: Replacement",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html)
and updates the function whose environment names the type in place.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from orderflow.ports import free_port
from orderflow.session import LocalSession, SessionOptions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@contextmanager
def session(state_dir: Path, **parameters: str) -> Iterator[LocalSession]:
    running = LocalSession(
        SessionOptions(
            TEMPLATE,
            stack_name="changes",
            aws_port=free_port(),
            api_port=free_port(),
            state_dir=state_dir,
            persist=True,
            snapshot_interval=None,
            check_handlers=False,
            parameter_overrides=parameters,
        )
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def place_order(local: LocalSession) -> dict[str, Any]:
    """One product with stock 3, an order of 2 through POST /orders; its final answer (GET)."""
    from orderflow.api.client import ApiClient

    runtime = local.runtime
    assert runtime is not None and local.api is not None
    product = f"p-{uuid.uuid4().hex[:8]}"
    boto3.resource(
        "dynamodb",
        endpoint_url=runtime.endpoint_url,
        region_name=runtime.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    ).Table(runtime.resources["ProductsTable"]).put_item(
        Item={"productId": product, "name": "cup", "price": Decimal("2.50"), "stock": 3}
    )
    api = ApiClient(local.api.url)
    status, body = api.post("/orders", {"customerId": "c-1", "items": [{"productId": product, "quantity": 2}]})
    assert status in (201, 202), (status, body)
    deadline = time.monotonic() + 30
    while body.get("status") not in ("CONFIRMED", "REJECTED", "FAILED"):
        assert time.monotonic() < deadline, body
        status, body = api.get(f"/orders/{body['orderId']}")
        assert status == 200, (status, body)
    return {"answer": status, **body}


def workflow_type(local: LocalSession) -> str:
    runtime = local.runtime
    assert runtime is not None
    sfn = runtime.client("stepfunctions")
    return str(sfn.describe_state_machine(stateMachineArn=runtime.resources["OrderWorkflow"])["type"])


def orders_api_env(local: LocalSession) -> dict[str, str]:
    runtime = local.runtime
    assert runtime is not None
    function = runtime.client("lambda").get_function(FunctionName=runtime.functions["OrdersApiFunction"])
    return dict(function["Configuration"]["Environment"]["Variables"])


def test_standard_express_standard_on_one_state_dir_places_an_order_after_each_change(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with session(state) as first:
        assert workflow_type(first) == "STANDARD"
        assert place_order(first)["status"] == "CONFIRMED"
        arn = first.runtime.resources["OrderWorkflow"]  # type: ignore[union-attr]

    with session(state, WorkflowType="EXPRESS") as second:
        runtime = second.runtime
        assert runtime is not None and runtime.stack_action == "update"
        assert workflow_type(second) == "EXPRESS"
        assert orders_api_env(second)["ORDER_WORKFLOW_TYPE"] == "EXPRESS"
        assert runtime.resources["OrderWorkflow"] == arn, "the template names it: same name, same ARN"
        assert any(change.startswith("OrderWorkflow replaced (StateMachineType") for change in runtime.stack_changes)
        assert any(change.startswith("OrdersApiFunction updated (Environment") for change in runtime.stack_changes)
        placed = place_order(second)
        assert placed["answer"] == 201 and placed["status"] == "CONFIRMED", placed  # EXPRESS answers the outcome

    with session(state) as third:  # the parameter left out takes its default again, as on AWS
        runtime = third.runtime
        assert runtime is not None and runtime.stack_action == "update"
        assert workflow_type(third) == "STANDARD"
        assert orders_api_env(third)["ORDER_WORKFLOW_TYPE"] == "STANDARD"
        placed = place_order(third)
        assert placed["answer"] == 200 and placed["status"] == "CONFIRMED", placed  # STANDARD: 202, then GET

    with session(state) as fourth:  # the same template again: restored, nothing to apply
        assert fourth.runtime is not None and fourth.runtime.stack_action == "restore"
        assert workflow_type(fourth) == "STANDARD"
