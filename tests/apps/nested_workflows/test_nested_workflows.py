"""Nested workflows, through orderflow's pytest plugin:
pytest --orderflow-template template.yaml

https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
"""

import json
import threading
import time


def wait_until(condition, what, deadline=20.0):
    pause, end = threading.Event(), time.monotonic() + deadline
    while not (value := condition()):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        pause.wait(0.05)
    return value


def test_the_order_waits_for_its_quote_and_starts_the_notification(orderflow_stack):
    items = [{"sku": "tea", "qty": 2, "price": "1.50"}, {"sku": "mug", "qty": 1, "price": "7.25"}]
    execution = orderflow_stack.start_execution("OrderStateMachine", {"order": "o-1", "items": items})
    described = execution.wait(30)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["quote"]["total"] == "10.25"  # .sync:2: the child's output as JSON, not a string

    sfn = orderflow_stack.client("stepfunctions")
    quote = sfn.describe_execution(executionArn=output["quote"]["execution"])
    assert quote["status"] == "SUCCEEDED" and ":execution:Quote:" in quote["executionArn"]
    assert json.loads(quote["input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == execution.arn

    notify = output["notify"]["execution"]  # started, not waited for
    done = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=notify))["status"] != "RUNNING" and d, "Notify"
    )
    assert done["status"] == "SUCCEEDED"
    table = orderflow_stack.outputs["NotificationsTable"]
    item = orderflow_stack.client("dynamodb").get_item(TableName=table, Key={"order": {"S": "o-1"}})
    assert item["Item"]["total"] == {"S": "10.25"}


def test_a_failed_quote_fails_the_order(orderflow_stack):
    items = [{"sku": "tea", "qty": 0, "price": "1.50"}]
    execution = orderflow_stack.start_execution("OrderStateMachine", {"order": "o-2", "items": items})
    described = execution.wait(30)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    assert "TaskFailed" in orderflow_stack.history(execution).types()
