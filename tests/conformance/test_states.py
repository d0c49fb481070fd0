"""Conformance: the state types and JSONPath input/output processing, each case from a documented example.

Pages (AWS Step Functions Developer Guide, https://docs.aws.amazon.com/step-functions/latest/dg/):
state-pass.html, state-wait.html, state-succeed.html, state-fail.html, state-choice.html,
input-output-inputpath-params.html, input-output-resultpath.html, input-output-outputpath.html,
input-output-example.html, input-output-contextobject.html; and the Amazon States Language
specification (https://states-language.net/spec.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.harness import Conformance, NotJson

GUIDE = "https://docs.aws.amazon.com/step-functions/latest/dg/"


def single(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    terminal = state["Type"] in ("Succeed", "Fail")
    return {"StartAt": "S", "States": {"S": state if terminal else {**state, "End": True}}, **top}


# ------------------------------------------------------------------------------------------- Pass


def test_pass_result_into_result_path(aws: Conformance) -> None:
    """state-pass.html (and the spec's Pass example): Result placed at ResultPath in the input."""
    definition = single(
        {
            "Type": "Pass",
            "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
            "ResultPath": "$.coords",
        }
    )
    done = aws.run(definition, {"georefOf": "Home"})
    assert done.status == "SUCCEEDED"
    assert done.output == {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}


def test_pass_without_result_passes_input(aws: Conformance) -> None:
    """state-pass.html: a Pass state by default passes its input to its output."""
    done = aws.run(single({"Type": "Pass"}), {"a": [1, 2], "b": {"c": None}})
    assert done.output == {"a": [1, 2], "b": {"c": None}}


def test_pass_parameters_with_paths_and_static_values(aws: Conformance) -> None:
    """input-output-inputpath-params.html: Parameters, keys ending in .$ select from the input."""
    definition = single(
        {
            "Type": "Pass",
            "Parameters": {
                "comment": "Example for Parameters.",
                "product": {
                    "details": {"color": "blue", "size": "small", "material": "cotton"},
                    "availability": "in stock",
                    "sku": "2317",
                    "cost.$": "$.product.cost",
                },
            },
        }
    )
    done = aws.run(definition, {"comment": "x", "product": {"cost": "$23"}})
    assert done.output == {
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23",
        },
    }


# ------------------------------------------------------------------------------------------- Wait


@pytest.mark.parametrize(
    ("wait", "payload"),
    [
        ({"Seconds": 10}, {"k": 1}),
        ({"SecondsPath": "$.delay"}, {"delay": 3}),
        ({"Timestamp": "2016-03-14T01:59:00Z"}, {"k": 1}),
        ({"TimestampPath": "$.expirydate"}, {"expirydate": "2016-03-14T01:59:00Z"}),
    ],
    ids=["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
)
def test_wait_passes_its_input(aws: Conformance, wait: dict[str, Any], payload: dict[str, Any]) -> None:
    """state-wait.html: the four ways to wait (run at time scale 0); the input passes through."""
    done = aws.run(single({"Type": "Wait", **wait}), payload)
    assert done.status == "SUCCEEDED"
    assert done.output == payload
    assert len(done.events("WaitStateEntered")) == 1


# --------------------------------------------------------------------------------- Succeed, Fail


def test_succeed_stops_successfully(aws: Conformance) -> None:
    """state-succeed.html: a Succeed state stops an execution successfully, its input as output."""
    done = aws.run(single({"Type": "Succeed"}), {"done": True})
    assert (done.status, done.output) == ("SUCCEEDED", {"done": True})


def test_fail_with_error_and_cause(aws: Conformance) -> None:
    """state-fail.html: the example "FailState" with Error "ErrorA" and Cause "Kaiju attack"."""
    done = aws.run(single({"Type": "Fail", "Cause": "Kaiju attack", "Error": "ErrorA"}))
    assert (done.status, done.error, done.cause) == ("FAILED", "ErrorA", "Kaiju attack")


def test_fail_with_error_path_and_cause_path(aws: Conformance) -> None:
    """state-fail.html: ErrorPath and CausePath take the error and cause from the input."""
    definition = single({"Type": "Fail", "ErrorPath": "$.errorInfo.name", "CausePath": "$.errorInfo.message"})
    done = aws.run(definition, {"errorInfo": {"name": "CustomError", "message": "This is a custom error"}})
    assert (done.status, done.error, done.cause) == ("FAILED", "CustomError", "This is a custom error")


def test_fail_cause_path_with_an_intrinsic(aws: Conformance) -> None:
    """state-fail.html: CausePath may be an intrinsic function (States.Format)."""
    definition = single(
        {
            "Type": "Fail",
            "Error": "X",
            "CausePath": (
                "States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"
            ),
        }
    )
    done = aws.run(definition, {"Error": "Timeout", "Cause": "a slow service"})
    assert done.cause == "This is a custom error message for Timeout, caused by a slow service."


# --------------------------------------------------------------------------------- I/O processing


def test_input_path_selects_the_input(aws: Conformance) -> None:
    """input-output-inputpath-params.html: InputPath "$.dataset2" gives the state that part only."""
    payload = {
        "comment": "Example for InputPath.",
        "dataset1": {"val1": 1, "val2": 2},
        "dataset2": {"val1": "a"},
    }
    done = aws.run(single({"Type": "Pass", "InputPath": "$.dataset2"}), payload)
    assert done.output == {"val1": "a"}


def test_result_path_dollar_replaces_the_input(aws: Conformance) -> None:
    """input-output-resultpath.html: ResultPath "$" (the default) makes the result the output."""
    done = aws.run(
        single({"Type": "Pass", "Result": "Hello, AWS Step Functions!", "ResultPath": "$"}), {"a": 1}
    )
    assert done.output == "Hello, AWS Step Functions!"
    assert not isinstance(done.output, NotJson), "DescribeExecution's output is JSON text"


def test_result_path_null_discards_the_result(aws: Conformance) -> None:
    """input-output-resultpath.html: ResultPath null discards the result and keeps the input."""
    definition = single({"Type": "Pass", "Result": {"lost": True}, "ResultPath": None})
    done = aws.run(
        definition,
        {"comment": "This is a test of the input and output of a Task state.", "details": "Default"},
    )
    assert done.output == {
        "comment": "This is a test of the input and output of a Task state.",
        "details": "Default",
    }


def test_result_path_into_a_nested_node(aws: Conformance) -> None:
    """input-output-resultpath.html: ResultPath "$.taskresult" adds the result next to the input."""
    definition = single(
        {"Type": "Pass", "Result": "Hello, AWS Step Functions!", "ResultPath": "$.taskresult"}
    )
    done = aws.run(definition, {"comment": "An input comment.", "data": {"val1": 23, "val2": 17}})
    assert done.output == {
        "comment": "An input comment.",
        "data": {"val1": 23, "val2": 17},
        "taskresult": "Hello, AWS Step Functions!",
    }


def test_output_path_selects_the_output(aws: Conformance) -> None:
    """input-output-outputpath.html: OutputPath "$.data" keeps only that part of the state output."""
    definition = single({"Type": "Pass", "OutputPath": "$.data"})
    done = aws.run(definition, {"comment": "c", "data": {"val1": 23, "val2": 17}, "extra": "x"})
    assert done.output == {"val1": 23, "val2": 17}


def test_input_result_selector_result_path_output_path_together(aws: Conformance) -> None:
    """input-output-example.html: the fields applied in order on a Lambda task's result."""
    arn = aws.function("add", lambda event: {"sum": event["val1"] + event["val2"], "extra": "dropped"})
    definition = single(
        {
            "Type": "Task",
            "Resource": arn,
            "InputPath": "$.lambda",
            "ResultSelector": {"total.$": "$.sum"},
            "ResultPath": "$.data.lambdaresult",
            "OutputPath": "$.data",
        }
    )
    done = aws.run(
        definition, {"comment": "An input comment.", "data": {"val1": 23}, "lambda": {"val1": 1, "val2": 2}}
    )
    assert done.output == {"val1": 23, "lambdaresult": {"total": 3}}


def test_context_object_in_parameters(aws: Conformance) -> None:
    """input-output-contextobject.html: "$$." paths read the Context object (execution, state)."""
    definition = single(
        {
            "Type": "Pass",
            "Parameters": {
                "execution.$": "$$.Execution.Id",
                "state.$": "$$.State.Name",
                "input.$": "$$.Execution.Input",
            },
        }
    )
    done = aws.run(definition, {"orderId": "o-1"})
    assert done.output["execution"] == done.execution_arn
    assert done.output["state"] == "S"
    assert done.output["input"] == {"orderId": "o-1"}
