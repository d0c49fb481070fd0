"""The real template's whole state, after a real order and a user's welcome mail, can be written to a
state file and read back (what `orderflow up` does at each stop and restart), on the e2e stack."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

from orderflow.runtime.moto import state as moto_state
from tests.e2e.e2e_support import Stack


def test_the_real_templates_state_is_saved_and_read_back_whole(stack: Stack, tmp_path: Path) -> None:
    ids = stack.seed_products(kept=4)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    status, _ = stack.api.post(
        "/orders",
        {"orderId": order_id, "customerId": "c-state", "items": [{"productId": ids["kept"], "quantity": 1}]},
    )
    assert status == 202
    body, _ = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED", body

    path = tmp_path / "aws-state"
    moto_state.save(path, {"stack_name": "e2e"})
    header = moto_state.read_header(path)  # this version's own file is accepted
    assert header["stack_name"] == "e2e" and header["format_version"] == moto_state.FORMAT_VERSION
    with open(path, "rb") as handle:
        handle.readline()
        saved = pickle.load(handle)
    dynamodb = saved[("moto.dynamodb.models", "dynamodb_backends")]
    tables = dynamodb[stack.runtime.account_id][stack.region].tables
    orders = tables[stack.runtime.resources["OrdersTable"]]
    assert any(item.hash_key.value == order_id for item in orders.all_items())
    parser = saved[("moto.stepfunctions.parser.models", "stepfunctions_parser_backends")]
    sfn = parser[stack.runtime.account_id][stack.region]
    [execution] = [e for machine in sfn.state_machines for e in machine.executions if e.name == order_id]
    assert execution.status == "SUCCEEDED"
    types = [event["type"] for event in execution.to_history_output()["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
