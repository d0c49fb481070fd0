"""Conformance: JSONata states, from "Transforming data with JSONata in Step Functions"
(https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html) and the state pages'
JSONata fields (state-choice.html "Condition", state-map.html "Items", state-wait.html, state-fail.html).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tests.conformance.harness import Conformance, LambdaError, client

JSONATA = "JSONata"


def single(state: dict[str, Any]) -> dict[str, Any]:
    terminal = state["Type"] in ("Succeed", "Fail")
    return {
        "QueryLanguage": JSONATA,
        "StartAt": "S",
        "States": {"S": state if terminal else {**state, "End": True}},
    }


def test_conversion_example_arguments_and_variable(aws: Conformance) -> None:
    """transforming-data.html: the JSONPath-to-JSONata conversion example: given {"title": "Doctor"}
    and customerName "María", Arguments gives static, title, name and the unevaluated string."""
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "Task"},
            "Task": {
                "Type": "Pass",
                "Output": {
                    "static": "Hello",
                    "title": "{% $states.input.title %}",
                    "name": "{% $customerName %}",
                    "not-evaluated": "$customerName",
                },
                "End": True,
            },
        },
    }
    done = aws.run(definition, {"title": "Doctor"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == {
        "static": "Hello",
        "title": "Doctor",
        "name": "María",
        "not-evaluated": "$customerName",
    }


def test_state_level_query_language_in_a_jsonpath_machine(aws: Conformance) -> None:
    """transforming-data.html: QueryLanguage can be set on one state; the others stay JSONPath."""
    definition = {
        "StartAt": "Path",
        "States": {
            "Path": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Ata"},
            "Ata": {
                "QueryLanguage": JSONATA,
                "Type": "Pass",
                "Output": "{% $states.input.n * 2 %}",
                "End": True,
            },
        },
    }
    done = aws.run(definition, {"n": 21})
    assert done.output == 42


def test_task_arguments_and_output_with_states_result(aws: Conformance) -> None:
    """transforming-data.html: Arguments is sent to the task; Output reads $states.result."""
    arn = aws.function("greet", lambda event: {"greeting": f"Hello, {event['name']}"})
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": arn, "Payload": {"name": "{% $states.input.customer.name %}"}},
            "Output": "{% $states.result.Payload.greeting %}",
        }
    )
    done = aws.run(definition, {"customer": {"name": "Ana"}})
    assert (done.status, done.output) == ("SUCCEEDED", "Hello, Ana")


def test_context_through_states_context(aws: Conformance) -> None:
    """transforming-data.html: $states.context is the Context object."""
    definition = single(
        {
            "Type": "Pass",
            "Output": {
                "input": "{% $states.context.Execution.Input %}",
                "state": "{% $states.context.State.Name %}",
            },
        }
    )
    done = aws.run(definition, {"a": 1})
    assert done.output == {"input": {"a": 1}, "state": "S"}


def test_catch_output_with_states_error_output(aws: Conformance) -> None:
    """transforming-data.html: in a Catcher, $states.errorOutput holds Error and Cause."""

    def fails(event: Any) -> Any:
        raise LambdaError("PaymentDeclined", "card expired")

    arn = aws.function("pay", fails)
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Pay",
        "States": {
            "Pay": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": {"failed": "{% $states.errorOutput.Error %}"},
                        "Next": "Done",
                    }
                ],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    done = aws.run(definition, {})
    assert (done.status, done.output) == ("SUCCEEDED", {"failed": "PaymentDeclined"})


def test_choice_condition(aws: Conformance) -> None:
    """state-choice.html (JSONata): a rule is a Condition expression that must be a boolean."""
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Choose",
        "States": {
            "Choose": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.age >= 18 %}", "Next": "Adult"}],
                "Default": "Minor",
            },
            "Adult": {"Type": "Pass", "Output": "adult", "End": True},
            "Minor": {"Type": "Pass", "Output": "minor", "End": True},
        },
    }
    machine = aws.create(definition)
    assert aws.wait(aws.start(machine, {"age": 30})).output == "adult"
    assert aws.wait(aws.start(machine, {"age": 12})).output == "minor"


def test_map_items_and_item_selector(aws: Conformance) -> None:
    """state-map.html (JSONata): Items is an array or an expression; ItemSelector reads
    $states.context.Map.Item.Value."""
    definition = single(
        {
            "Type": "Map",
            "Items": "{% $states.input.numbers %}",
            "ItemSelector": {
                "value": "{% $states.context.Map.Item.Value %}",
                "index": "{% $states.context.Map.Item.Index %}",
            },
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {"Type": "Pass", "Output": "{% $states.input.value * 2 %}", "End": True}
                },
            },
        }
    )
    done = aws.run(definition, {"numbers": [1, 2, 3]})
    assert done.output == [2, 4, 6]


def test_wait_seconds_expression(aws: Conformance) -> None:
    """state-wait.html (JSONata): Seconds may be an expression."""
    done = aws.run(single({"Type": "Wait", "Seconds": "{% $states.input.delay %}"}), {"delay": 5})
    assert (done.status, done.output) == ("SUCCEEDED", {"delay": 5})


def test_fail_error_and_cause_expressions(aws: Conformance) -> None:
    """state-fail.html (JSONata): Error and Cause may be expressions."""
    definition = single(
        {
            "Type": "Fail",
            "Error": "{% $states.input.code %}",
            "Cause": "{% 'order ' & $states.input.id & ' refused' %}",
        }
    )
    done = aws.run(definition, {"code": "Refused", "id": "o-7"})
    assert (done.status, done.error, done.cause) == ("FAILED", "Refused", "order o-7 refused")


def test_aws_functions(aws: Conformance) -> None:
    """transforming-data.html, "JSONata functions provided by Step Functions": $partition, $range,
    $hash, $random with a seed, $uuid, $parse."""
    definition = single(
        {
            "Type": "Pass",
            "Output": {
                "partition": "{% $partition([1,2,3,4], 2) %}",
                "range": "{% $range(0, 10, 2) %}",
                "hash": "{% $hash('Hello World', 'SHA-256') %}",
                "seeded": "{% $random(1) = $random(1) %}",
                "uuid": "{% $uuid() %}",
                "parse": "{% $parse($states.input.json) %}",
            },
        }
    )
    done = aws.run(definition, {"json": '{"key": "value"}'})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    out = done.output
    assert out["partition"] == [[1, 2], [3, 4]]
    assert out["range"] == [0, 2, 4, 6, 8, 10]
    assert out["hash"] == hashlib.sha256(b"Hello World").hexdigest()
    assert out["seeded"] is True
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", out["uuid"])
    assert out["parse"] == {"key": "value"}


def test_undefined_result_is_a_query_evaluation_error(aws: Conformance) -> None:
    """transforming-data.html: an expression must produce a defined value; otherwise the state fails
    with States.QueryEvaluationError."""
    done = aws.run(single({"Type": "Pass", "Output": "{% $states.input.missing %}"}), {})
    assert (done.status, done.error) == ("FAILED", "States.QueryEvaluationError")
    assert done.events("EvaluationFailed")


def test_query_evaluation_error_can_be_caught(aws: Conformance) -> None:
    """concepts-error-handling.html: States.QueryEvaluationError is a predefined error a Catcher can name."""
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Bad",
        "States": {
            "Bad": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "none", "Payload": "{% $number('not a number') %}"},
                "Catch": [
                    {"ErrorEquals": ["States.QueryEvaluationError"], "Output": "caught", "Next": "Done"}
                ],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    done = aws.run(definition, {})
    assert (done.status, done.output) == ("SUCCEEDED", "caught")


def test_jsonata_arithmetic_prints_numbers_as_json(aws: Conformance) -> None:
    """transforming-data.html: results are JSON; 1.5 * 2 is the number 3."""
    done = aws.run(single({"Type": "Pass", "Output": {"n": "{% 1.5 * 2 %}", "s": "{% $string(3.0) %}"}}), {})
    assert done.output == {"n": 3, "s": "3"}


def test_condition_must_be_a_boolean(aws: Conformance) -> None:
    """concepts-error-handling.html: States.QueryEvaluationError for a type constraint error; a
    Choice Condition must produce a boolean (state-choice.html)."""
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"},
        },
    }
    done = aws.run(definition, {})
    assert (done.status, done.error) == ("FAILED", "States.QueryEvaluationError")


def test_items_must_be_an_array(aws: Conformance) -> None:
    """state-map.html (JSONata): Items must evaluate to an array, else States.QueryEvaluationError."""
    definition = single(
        {
            "Type": "Map",
            "Items": "{% $states.input.n %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        }
    )
    done = aws.run(definition, {"n": 5})
    assert (done.status, done.error) == ("FAILED", "States.QueryEvaluationError")


def test_wait_seconds_must_be_an_integer(aws: Conformance) -> None:
    """state-wait.html (JSONata): Seconds evaluates to a non-negative integer; a string is a type
    constraint error (States.QueryEvaluationError)."""
    done = aws.run(single({"Type": "Wait", "Seconds": "{% 'soon' %}"}), {})
    assert (done.status, done.error) == ("FAILED", "States.QueryEvaluationError")


def test_item_reader_arguments(aws: Conformance) -> None:
    """input-output-itemreader.html (JSONata): ItemReader takes Arguments, expressions allowed."""
    s3 = client("s3")
    s3.create_bucket(Bucket="jsonata-reader")
    s3.put_object(Bucket="jsonata-reader", Key="items.json", Body=json.dumps([{"id": 1}, {"id": 2}]).encode())
    definition = single(
        {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "items.json"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Output": "{% $states.input.id %}", "End": True}},
            },
        }
    )
    done = aws.run(definition, {"bucket": "jsonata-reader"})
    assert (done.status, done.output) == ("SUCCEEDED", [1, 2])
