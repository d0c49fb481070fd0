"""Conformance: workflow variables, from "Passing data between states with variables"
(https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html), under both query
languages.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.harness import Conformance


def test_assign_then_read_later_jsonpath(aws: Conformance) -> None:
    """workflow-variables.html: a JSONPath state assigns; a later state reads "$name" in a ".$" field."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {
                "Type": "Pass",
                "Assign": {"productName": "product1", "count": 42, "available": True},
                "Next": "Other",
            },
            "Other": {"Type": "Pass", "Result": "unrelated", "Next": "Read"},
            "Read": {
                "Type": "Pass",
                "Parameters": {"name.$": "$productName", "count.$": "$count", "available.$": "$available"},
                "End": True,
            },
        },
    }
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == {"name": "product1", "count": 42, "available": True}


def test_assign_from_the_state_input_jsonpath(aws: Conformance) -> None:
    """workflow-variables.html: JSONPath Assign values ending in ".$" are paths and intrinsics."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {
                "Type": "Pass",
                "Assign": {"id.$": "$.order.id", "label.$": "States.Format('order-{}', $.order.id)"},
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Parameters": {"id.$": "$id", "label.$": "$label"}, "End": True},
        },
    }
    done = aws.run(definition, {"order": {"id": 7}})
    assert done.output == {"id": 7, "label": "order-7"}


def test_assign_then_read_later_jsonata(aws: Conformance) -> None:
    """workflow-variables.html: a JSONata Assign reads $states.input; later states read $name."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Store",
        "States": {
            "Store": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.prices) %}"},
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Output": {"total": "{% $total %}"}, "End": True},
        },
    }
    done = aws.run(definition, {"prices": [1, 2, 3.5]})
    assert done.output == {"total": 6.5}


def test_assign_sees_the_values_before_the_state(aws: Conformance) -> None:
    """workflow-variables.html: the expressions of one Assign are evaluated with the variables as they
    were when the state was entered; the new values are visible from the next state on."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"x": "{% $y %}", "y": "{% $x %}"}, "Next": "Read"},
            "Read": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": True},
        },
    }
    done = aws.run(definition, {})
    assert done.output == {"x": 2, "y": 1}


def test_task_assign_reads_the_result(aws: Conformance) -> None:
    """workflow-variables.html: a Task's Assign can read $states.result (JSONata)."""
    arn = aws.function("price", lambda event: {"price": 12})
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": arn,
                "Assign": {"price": "{% $states.result.price %}"},
                "Output": {},
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Output": "{% $price * 2 %}", "End": True},
        },
    }
    done = aws.run(definition, {})
    assert (done.status, done.output) == ("SUCCEEDED", 24)


def branch_reading(variable: str) -> dict[str, Any]:
    return {
        "StartAt": "Read",
        "States": {"Read": {"Type": "Pass", "Parameters": {"seen.$": variable}, "End": True}},
    }


def test_outer_variables_are_visible_in_parallel_branches(aws: Conformance) -> None:
    """workflow-variables.html, "Variable scope": states in Parallel branches read variables of the
    outer scope."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Assign": {"region": "eu"}, "Next": "Fan"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [branch_reading("$region"), branch_reading("$region")],
                "End": True,
            },
        },
    }
    done = aws.run(definition, {})
    assert done.output == [{"seen": "eu"}, {"seen": "eu"}]


def test_outer_variables_are_visible_in_map_iterations(aws: Conformance) -> None:
    """workflow-variables.html, "Variable scope": Map iterations read variables of the outer scope."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Mul",
                    "States": {
                        "Mul": {"Type": "Pass", "Parameters": {"v.$": "$", "f.$": "$factor"}, "End": True}
                    },
                },
                "End": True,
            },
        },
    }
    done = aws.run(definition, [1, 2])
    assert done.output == [{"v": 1, "f": 10}, {"v": 2, "f": 10}]


def test_branch_variables_do_not_leak_out(aws: Conformance) -> None:
    """workflow-variables.html, "Variable scope": a variable assigned in a branch is visible in the
    branch and not after the Parallel state (the reference is refused, when the state machine is
    created or run)."""
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Set",
                        "States": {
                            "Set": {"Type": "Pass", "Assign": {"inner": 1}, "Next": "Use"},
                            "Use": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": True},
                        },
                    }
                ],
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": True},
        },
    }
    try:
        done = aws.run(definition, {})
    except aws.sfn.exceptions.InvalidDefinition:
        return
    assert done.events("ParallelStateExited"), f"the branch could not read its own variable: {done.cause}"
    assert done.status == "FAILED", f"the branch's variable leaked out: {done.output}"


def test_a_branch_cannot_assign_an_outer_variable(aws: Conformance) -> None:
    """workflow-variables.html, "Variable scope": a state in a Parallel branch cannot assign a
    variable that belongs to an outer scope."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Assign": {"shared": 1}, "Next": "Fan"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Set",
                        "States": {"Set": {"Type": "Pass", "Assign": {"shared": 2}, "End": True}},
                    }
                ],
                "End": True,
            },
        },
    }
    try:
        done = aws.run(definition, {})
    except aws.sfn.exceptions.InvalidDefinition:
        return
    assert done.status == "FAILED", "an assignment to an outer variable from a branch was accepted"


def test_catcher_assign(aws: Conformance) -> None:
    """workflow-variables.html: a Catcher may Assign (here from $states.errorOutput)."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Boom",
        "States": {
            "Boom": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1", "Cause": "c"}}}
                ],
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"lastError": "{% $states.errorOutput.Error %}"},
                        "Next": "Read",
                    }
                ],
                "End": True,
            },
            "Read": {"Type": "Pass", "Output": "{% $lastError %}", "End": True},
        },
    }
    done = aws.run(definition, {})
    assert (done.status, done.output) == ("SUCCEEDED", "E1")


def sized_assign(**sizes: int) -> dict[str, Any]:
    """JSONata: a state assigning 100 bytes, then one assigning strings of the given lengths."""
    assign = {name: "{% $pad('', " + str(size) + ", 'x') %}" for name, size in sizes.items()}
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Small",
        "States": {
            "Small": {"Type": "Pass", "Assign": {"small": "{% $pad('', 100, 'x') %}"}, "Next": "Big"},
            "Big": {"Type": "Pass", "Assign": assign, "End": True},
        },
    }


def test_a_variable_up_to_256_kib_is_assigned(aws: Conformance) -> None:
    """workflow-variables.html, size limits: one variable holds up to 256 KiB."""
    done = aws.run(sized_assign(big=250_000), {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)


def test_a_variable_over_256_kib_fails_the_state(aws: Conformance) -> None:
    """workflow-variables.html, size limits: one variable holds at most 256 KiB."""
    done = aws.run(sized_assign(big=270_000), {})
    assert len(done.events("PassStateExited")) == 1, f"the first Assign failed: {done.cause}"
    assert (done.status, done.error) == ("FAILED", "States.Runtime")


def test_assignments_over_256_kib_together_fail_the_state(aws: Conformance) -> None:
    """workflow-variables.html, size limits: the variables of one Assign total at most 256 KiB."""
    done = aws.run(sized_assign(a=140_000, b=140_000), {})
    assert len(done.events("PassStateExited")) == 1, f"the first Assign failed: {done.cause}"
    assert (done.status, done.error) == ("FAILED", "States.Runtime")


def test_non_ascii_assign_literal(aws: Conformance) -> None:
    """workflow-variables.html: an Assign value is the JSON value written in the definition."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Assign": {"greeting": '¡Hola, "María"!\n'}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"g.$": "$greeting"}, "End": True},
        },
    }
    assert aws.run(definition, {}).output == {"g": '¡Hola, "María"!\n'}
