"""Patch ``sfn_jsonata`` (orderflow.runtime.moto.jsonata), shown against plain moto: the gap test is a
strict xfail (see support.py), the patched tests run with the patch on.

AWS evaluates ``{% %}`` expressions of JSONata states and reads workflow variables from JSONPath
fields ("Transforming data with JSONata in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html; "Passing data between
states with variables", https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import jsonata as moto_jsonata
from tests.moto_patches.support import client, create_state_machine, finished_execution, gap

# The guide's conversion example: JSONata Arguments, and a variable read both ways.
MACHINE: dict[str, Any] = {
    "StartAt": "Remember",
    "States": {
        "Remember": {"Type": "Pass", "Assign": {"customerName": "Maria"}, "Next": "Read"},
        "Read": {
            "Type": "Pass",
            "Parameters": {"name.$": "$customerName", "title.$": "$.title"},
            "Next": "Convert",
        },
        "Convert": {
            "QueryLanguage": "JSONata",
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


def run(definition: dict[str, Any], payload: Any) -> dict[str, Any]:
    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, definition, name=f"m{abs(hash(json.dumps(definition))) % 10**8}")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    return finished_execution(sfn, execution)


def check_sfn_jsonata() -> None:
    done = run(MACHINE, {"title": "Doctor"})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == {
        "static": "Hello",
        "title": "Doctor",
        "name": "Maria",
        "not-evaluated": "$customerName",
    }


@gap("sfn_jsonata")
def test_sfn_jsonata_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_jsonata()


def test_sfn_jsonata_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_jsonata"):
        check_sfn_jsonata()


def test_aws_functions_in_a_state_machine(moto_aws: None) -> None:
    """The six functions Step Functions adds to JSONata (transforming-data.html)."""
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "F",
        "States": {
            "F": {
                "Type": "Pass",
                "Output": {
                    "partition": "{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 4) %}",
                    "range": "{% $range(0, 10, 2) %}",
                    "hash": "{% $hash($states.input.content, 'SHA-256') %}",
                    "seeded": "{% $random(42) = $random(42) %}",
                    "unseeded": "{% $random() < 1 %}",
                    "uuid": "{% $length($uuid()) %}",
                    "parse": "{% $parse($states.input.json) %}",
                },
                "End": True,
            }
        },
    }
    with REGISTRY.enabled("sfn_jsonata"):
        done = run(machine, {"content": "input data", "json": '{"a": [1, 2]}'})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == {
        "partition": [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
        "range": [0, 2, 4, 6, 8, 10],
        "hash": hashlib.sha256(b"input data").hexdigest(),
        "seeded": True,
        "unseeded": True,
        "uuid": 36,
        "parse": {"a": [1, 2]},
    }


@pytest.mark.parametrize(
    ("expression", "cause"),
    [
        ("$states.input.missing", "returned nothing (undefined)"),
        ("function($x) { $x }", "returned an unsupported result type"),
        ("1 +", "could not be evaluated: S0207"),
        ("$number('x')", "could not be evaluated: D3030"),
        ("$hash('x', 'SHA-3')", "unsupported algorithm"),
    ],
)
def test_a_failing_expression_is_a_query_evaluation_error(
    moto_aws: None,
    expression: str,
    cause: str,
) -> None:
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "F",
        "States": {"F": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}},
    }
    with REGISTRY.enabled("sfn_jsonata"):
        done = run(machine, {})
    assert done["status"] == "FAILED"
    assert done["error"] == "States.QueryEvaluationError"
    assert cause in done["cause"]


def test_engine_results_are_json_as_javascript_prints_them() -> None:
    assert moto_jsonata.to_json_value(moto_jsonata.evaluate("1.5 * 2", {})) == 3
    assert isinstance(moto_jsonata.to_json_value(moto_jsonata.evaluate("1.5 * 2", {})), int)
    assert moto_jsonata.evaluate("$x.y", {"x": {"y": 'a"b'}}) == 'a"b', "values are bound, not spliced in"
    assert moto_jsonata.evaluate("$nothing", {}) is moto_jsonata.UNDEFINED


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (
            {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "Done"}], "Default": "Done"},
            "Condition",
        ),
        ({"Type": "Wait", "Seconds": "{% 'soon' %}", "Next": "Done"}, "Seconds"),
        ({"Type": "Wait", "Seconds": "{% -1 %}", "Next": "Done"}, "Seconds"),
    ],
)
def test_a_typed_field_of_the_wrong_type_is_a_query_evaluation_error(
    moto_aws: None,
    state: dict[str, Any],
    field: str,
) -> None:
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {"S": state, "Done": {"Type": "Succeed"}},
    }
    with REGISTRY.enabled("sfn_jsonata"):
        done = run(machine, {})
    assert (done["status"], done["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert f"for the field '{field}'" in done["cause"]
