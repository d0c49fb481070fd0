"""Sample app: a Node.js function beside Python ones in one Step Functions workflow
(tests/apps/node_beside_python, in the pattern of SAM's stock-trader template; not this project's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime import Runtime, runtimes
from tests.runtime.runtime_support import run_execution, running

TEMPLATE = Path(__file__).parent / "template.yaml"


@pytest.fixture(scope="module")
def stack() -> Iterator[Runtime]:
    if runtimes.find_node() is None:
        pytest.skip("no `node` on PATH")
    with running(TEMPLATE, "stock-trader") as rt:
        rt.check_handlers()  # what `up` does
        yield rt


def trade(stack: Runtime, price: int) -> dict[str, Any]:
    sfn = stack.client("stepfunctions")
    done = run_execution(
        sfn, stack.outputs["StockTradingStateMachineArn"], {"price": price, "symbol": "ACME"}
    )
    assert done["status"] == "SUCCEEDED", done
    return dict(json.loads(done["output"]))


def recorded(stack: Runtime, trade_id: str) -> dict[str, Any]:
    item = stack.client("dynamodb").get_item(
        TableName=stack.outputs["TradesTableName"], Key={"Id": {"S": trade_id}}
    )["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def test_a_low_price_is_bought_by_the_node_function(stack: Runtime) -> None:
    bought = trade(stack, 20)
    assert (bought["by"], bought["type"], bought["price"]) == ("node", "buy", 20)
    assert recorded(stack, bought["Id"]) | {"timestamp": None} == {
        "Id": bought["Id"],
        "type": "buy",
        "symbol": "ACME",
        "price": "20",
        "timestamp": None,
    }


def test_a_high_price_is_sold_by_the_python_function(stack: Runtime) -> None:
    sold = trade(stack, 80)
    assert (sold["by"], sold["type"], sold["price"]) == ("python", "sell", 80)
    assert recorded(stack, sold["Id"])["type"] == "sell"
