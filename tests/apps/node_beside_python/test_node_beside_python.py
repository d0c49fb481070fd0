"""A Node.js function beside Python ones in one Step Functions workflow (in the pattern of SAM's
stock-trader template), through orderflow's pytest plugin (needs `node` on PATH):
pytest --orderflow-template template.yaml
"""

import json


def trade(stack, price):
    execution = stack.start_execution("StockTradingStateMachine", {"price": price, "symbol": "ACME"})
    described = execution.wait(30)
    assert described["status"] == "SUCCEEDED"
    return json.loads(described["output"])


def recorded(stack, trade_id):
    table = stack.outputs["TradesTableName"]
    item = stack.client("dynamodb").get_item(TableName=table, Key={"Id": {"S": trade_id}})["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def test_a_low_price_is_bought_by_the_node_function(orderflow_stack):
    bought = trade(orderflow_stack, 20)
    assert (bought["by"], bought["type"], bought["price"]) == ("node", "buy", 20)
    assert recorded(orderflow_stack, bought["Id"]) | {"timestamp": None} == {
        "Id": bought["Id"],
        "type": "buy",
        "symbol": "ACME",
        "price": "20",
        "timestamp": None,
    }


def test_a_high_price_is_sold_by_the_python_function(orderflow_stack):
    sold = trade(orderflow_stack, 80)
    assert (sold["by"], sold["type"], sold["price"]) == ("python", "sell", 80)
    assert recorded(orderflow_stack, sold["Id"])["type"] == "sell"
