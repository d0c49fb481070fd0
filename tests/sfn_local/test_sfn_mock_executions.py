"""StartExecution on "<arn>#<TestCase>" runs Step Functions Local test cases on moto's interpreter."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orderflow.runtime.moto.sfn import definitions
from orderflow.runtime.sfn_local import install_mock_config, install_time_scale, uninstall_mock_config
from orderflow.runtime.sfn_local.mock_config import parse_mock_config

CHECK_STOCK_RETRY = {
    "ErrorEquals": ["Lambda.TooManyRequestsException"],
    "IntervalSeconds": 2,
    "MaxAttempts": 2,
    "BackoffRate": 2,
}

ORDER_WORKFLOW = {
    "StartAt": "CheckStock",
    "States": {
        "CheckStock": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "check-stock", "Payload.$": "$"},
            "ResultSelector": {"inStock.$": "$.Payload.inStock"},
            "ResultPath": "$.stock",
            "Retry": [CHECK_STOCK_RETRY],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Rejected"}],
            "Next": "SaveOrder",
        },
        "SaveOrder": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "Orders",
                "Item": {"orderId": {"S.$": "$.orderId"}, "status": {"S": "ACCEPTED"}},
            },
            "ResultPath": None,
            "End": True,
        },
        "Rejected": {"Type": "Fail", "Error": "OrderRejected"},
    },
}

MOCKS = {
    "StateMachines": {
        "OrderWorkflow": {
            "TestCases": {
                "RetryPath": {"CheckStock": "CheckStockThrottledTwice"},
                "MissingAttempt": {"CheckStock": "CheckStockThrottledOnce"},
                "Unavailable": {"CheckStock": "CheckStockUnavailable"},
                "AllMocked": {"CheckStock": "InStock", "SaveOrder": "Saved"},
            }
        },
        "Poller": {"TestCases": {"PendingThenDone": {"Poll": "PendingThenDone"}}},
        "Charger": {"TestCases": {"Charged": {"Charge": "LambdaCharged"}}},
    },
    "MockedResponses": {
        "CheckStockThrottledTwice": {
            "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"inStock": True}}},
        },
        "CheckStockThrottledOnce": {
            "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}},
        },
        "CheckStockUnavailable": {"0": {"Throw": {"Error": "Stock.Unavailable", "Cause": "sold out"}}},
        "InStock": {"0": {"Return": {"StatusCode": 200, "Payload": {"inStock": True}}}},
        "Saved": {"0": {"Return": {}}},
        "PendingThenDone": {"0": {"Return": {"status": "PENDING"}}, "1": {"Return": {"status": "DONE"}}},
        "LambdaCharged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}},
    },
}


def events_of(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == event_type]


@pytest.fixture
def orders(sfn: Any, create_machine: Any) -> str:
    """The OrderWorkflow state machine, its DynamoDB table, the mock file installed, no real back-off."""
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    install_mock_config(parse_mock_config(json.dumps(MOCKS)))
    install_time_scale(0)
    return create_machine("OrderWorkflow", ORDER_WORKFLOW)


def saved_order(order_id: str) -> dict[str, Any] | None:
    table = boto3.client("dynamodb", region_name="us-east-1")
    return table.get_item(TableName="Orders", Key={"orderId": {"S": order_id}}).get("Item")


def test_throw_on_attempts_0_1_then_return_on_2_records_three_attempts_and_succeeds(
    orders: str, run_execution: Any
) -> None:
    described, events = run_execution(orders + "#RetryPath", {"orderId": "o-1"}, name="retry-path")

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"orderId": "o-1", "stock": {"inStock": True}}
    check_stock_attempts = [
        e
        for e in events_of(events, "TaskScheduled")
        if e["taskScheduledEventDetails"]["resource"] == "invoke"
    ]
    assert len(check_stock_attempts) == 3
    failures = events_of(events, "TaskFailed")
    assert [f["taskFailedEventDetails"] for f in failures] == [
        {"error": "Lambda.TooManyRequestsException", "cause": "Rate exceeded"}
    ] * 2


def test_test_case_execution_is_an_ordinary_execution_of_the_state_machine(
    sfn: Any, orders: str, run_execution: Any
) -> None:
    described, _ = run_execution(orders + "#RetryPath", {"orderId": "o-2"}, name="described")

    # As on Step Functions Local: the execution ARN and stateMachineArn carry no "#TestCase".
    assert described["executionArn"] == orders.replace(":stateMachine:", ":execution:") + ":described"
    assert described["stateMachineArn"] == orders
    listed = sfn.list_executions(stateMachineArn=orders)["executions"]
    assert [(e["name"], e["status"]) for e in listed] == [("described", "SUCCEEDED")]


def test_states_not_in_the_test_case_run_for_real(orders: str, run_execution: Any) -> None:
    described, events = run_execution(orders + "#RetryPath", {"orderId": "o-hybrid"})

    assert described["status"] == "SUCCEEDED"
    assert saved_order("o-hybrid") == {"orderId": {"S": "o-hybrid"}, "status": {"S": "ACCEPTED"}}
    put_item = [
        e
        for e in events_of(events, "TaskSucceeded")
        if e["taskSucceededEventDetails"]["resource"] == "putItem"
    ]
    assert len(put_item) == 1


def test_states_in_the_test_case_never_call_their_service(orders: str, run_execution: Any) -> None:
    described, _ = run_execution(orders + "#AllMocked", {"orderId": "o-mocked"})

    assert described["status"] == "SUCCEEDED"
    assert saved_order("o-mocked") is None


def test_missing_attempt_fails_the_execution_with_states_runtime_past_retry_and_catch(
    orders: str, run_execution: Any
) -> None:
    described, events = run_execution(orders + "#MissingAttempt", {"orderId": "o-3"})

    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "invocation 1 of state 'CheckStock'" in described["cause"]
    assert "MockedResponses.CheckStockThrottledOnce" in described["cause"]
    # Attempt 0 threw the mocked error and was retried; attempt 1 has no mocked response: States.Runtime,
    # which neither the Retry (1 attempt left) nor the Catch on States.ALL intercepts.
    assert [f["taskFailedEventDetails"]["error"] for f in events_of(events, "TaskFailed")] == [
        "Lambda.TooManyRequestsException",
        "States.Runtime",
    ]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered == ["CheckStock"]
    assert events[-1]["type"] == "ExecutionFailed"
    assert saved_order("o-3") is None


def test_mocked_throw_is_caught_like_a_real_error(orders: str, run_execution: Any) -> None:
    described, events = run_execution(orders + "#Unavailable", {"orderId": "o-4"})

    assert described["status"] == "FAILED"
    assert described["error"] == "OrderRejected"
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered == ["CheckStock", "Rejected"]


def test_unknown_test_case_is_rejected_at_start_execution(sfn: Any, orders: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=orders + "#NoSuchCase")
    assert excinfo.value.response["Error"]["Code"] == "InvalidName"
    assert "StateMachines.OrderWorkflow.TestCases.NoSuchCase" in excinfo.value.response["Error"]["Message"]
    assert sfn.list_executions(stateMachineArn=orders)["executions"] == []


def test_bare_hash_runs_the_state_machine_unmocked(sfn: Any, create_machine: Any, run_execution: Any) -> None:
    install_mock_config(parse_mock_config(json.dumps(MOCKS)))
    arn = create_machine(
        "Plain", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
    )

    described, _ = run_execution(arn + "#")

    assert described["status"] == "SUCCEEDED"
    assert described["output"] == "1"


def test_a_state_entered_again_takes_the_next_mocked_response(
    create_machine: Any, run_execution: Any
) -> None:
    # Step Functions Local counts invocations per state per execution, not retries of one entry:
    # with moto's RetryCount indexing this loop would get "PENDING" forever.
    install_mock_config(parse_mock_config(json.dumps(MOCKS)))
    arn = create_machine(
        "Poller",
        {
            "StartAt": "Poll",
            "States": {
                "Poll": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances",
                    "Parameters": {},
                    "Next": "Done?",
                },
                "Done?": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.status", "StringEquals": "DONE", "Next": "Finished"}],
                    "Default": "Poll",
                },
                "Finished": {"Type": "Succeed"},
            },
        },
    )

    described, events = run_execution(arn + "#PendingThenDone")

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"status": "DONE"}
    polls = [e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "Poll"]
    assert len(polls) == 2


def test_lambda_resource_task_fully_mocked_runs_no_lambda(create_machine: Any, run_execution: Any) -> None:
    install_mock_config(parse_mock_config(json.dumps(MOCKS)))
    arn = create_machine(
        "Charger",
        {
            "StartAt": "Charge",
            "States": {
                "Charge": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:does-not-exist",
                    "End": True,
                }
            },
        },
    )

    described, _ = run_execution(arn + "#Charged", {"amount": 5})

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"charged": True}


def test_uninstall_restores_moto(sfn: Any, orders: str) -> None:
    uninstall_mock_config()
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=orders + "#RetryPath")
    assert excinfo.value.response["Error"]["Code"] in {"InvalidArn", "StateMachineDoesNotExist"}


def test_mock_file_is_checked_against_the_deployed_state_machines(orders: str) -> None:
    from orderflow.runtime.sfn_local import (
        MockConfigError,
        installed_mock_config,
        validate_against_definitions,
    )

    config = installed_mock_config()
    assert config is not None
    deployed = definitions("123456789012", "us-east-1")
    assert set(deployed) == {"OrderWorkflow"}
    with pytest.raises(
        MockConfigError, match=r"StateMachines\.Poller: no deployed state machine has this name"
    ):
        validate_against_definitions(config, deployed, require_state_machines=True)
    validate_against_definitions(config, deployed)  # OrderWorkflow's test cases name its Task states
