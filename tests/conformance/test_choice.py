"""Conformance: every Choice rule operator (JSONPath), from "Choice workflow state", section "Choice
Rules" (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html) and the ASL
specification's "Choice Rules" (https://states-language.net/spec.html#choice-state).

Each case: a Choice whose one rule is the operator under test, "Yes" when it matches and the
Default "No" otherwise, run once with an input that matches and once with one that does not.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.harness import Conformance

CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    # operator, rule (without Next), value that matches, value that does not
    ("StringEquals", {"StringEquals": "Buyer"}, "Buyer", "Seller"),
    ("StringEqualsPath", {"StringEqualsPath": "$.other"}, "same", "different"),
    ("StringLessThan", {"StringLessThan": "b"}, "a", "c"),
    ("StringGreaterThan", {"StringGreaterThan": "b"}, "c", "a"),
    ("StringLessThanEquals", {"StringLessThanEquals": "b"}, "b", "c"),
    ("StringGreaterThanEquals", {"StringGreaterThanEquals": "b"}, "b", "a"),
    ("StringMatches", {"StringMatches": "log-*.txt"}, "log-2024-01.txt", "log-2024.csv"),
    ("NumericEquals", {"NumericEquals": 0}, 0, 1),
    ("NumericEqualsPath", {"NumericEqualsPath": "$.other"}, 7, 8),
    ("NumericLessThan", {"NumericLessThan": 100}, 99.5, 100),
    ("NumericGreaterThan", {"NumericGreaterThan": 100}, 101, 100),
    ("NumericLessThanEquals", {"NumericLessThanEquals": 100}, 100, 101),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": 20}, 20, 19),
    ("BooleanEquals", {"BooleanEquals": True}, True, False),
    ("BooleanEqualsPath", {"BooleanEqualsPath": "$.other"}, "__same_as_other__", "__not_other__"),
    (
        "TimestampEquals",
        {"TimestampEquals": "2001-01-01T12:00:00Z"},
        "2001-01-01T12:00:00Z",
        "2001-01-02T12:00:00Z",
    ),
    (
        "TimestampLessThan",
        {"TimestampLessThan": "2001-01-01T12:00:00Z"},
        "2000-12-31T00:00:00Z",
        "2001-01-01T12:00:00Z",
    ),
    (
        "TimestampGreaterThan",
        {"TimestampGreaterThan": "2001-01-01T12:00:00Z"},
        "2001-01-02T00:00:00Z",
        "2001-01-01T00:00:00Z",
    ),
    (
        "TimestampLessThanEquals",
        {"TimestampLessThanEquals": "2001-01-01T12:00:00Z"},
        "2001-01-01T12:00:00Z",
        "2001-01-02T00:00:00Z",
    ),
    (
        "TimestampGreaterThanEquals",
        {"TimestampGreaterThanEquals": "2001-01-01T12:00:00Z"},
        "2001-01-01T12:00:00Z",
        "2000-01-01T00:00:00Z",
    ),
    ("IsNull", {"IsNull": True}, None, "x"),
    ("IsPresent", {"IsPresent": True}, "__present__", "__absent__"),
    ("IsNumeric", {"IsNumeric": True}, 1.5, "1.5"),
    ("IsString", {"IsString": True}, "s", 5),
    ("IsBoolean", {"IsBoolean": True}, False, "false"),
    ("IsTimestamp", {"IsTimestamp": True}, "2016-03-14T01:59:00Z", "yesterday"),
]


def machine(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Choose",
        "States": {
            "Choose": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": "yes", "End": True},
            "No": {"Type": "Pass", "Result": "no", "End": True},
        },
    }


def payload_for(value: Any, other: Any) -> dict[str, Any]:
    if value == "__absent__":
        return {"other": other}
    if value == "__present__":
        return {"value": 1, "other": other}
    return {"value": value, "other": other}


@pytest.mark.parametrize(("operator", "rule", "matching", "other_value"), CASES, ids=[c[0] for c in CASES])
def test_choice_operator(
    aws: Conformance, operator: str, rule: dict[str, Any], matching: Any, other_value: Any
) -> None:
    definition = machine({"Variable": "$.value", **rule})
    if operator == "BooleanEqualsPath":
        yes, no = payload_for(True, True), payload_for(True, False)
    elif operator.endswith("Path"):
        yes, no = payload_for(matching, matching), payload_for(other_value, matching)
    else:
        yes, no = payload_for(matching, None), payload_for(other_value, None)
    state_machine = aws.create(definition)
    assert aws.wait(aws.start(state_machine, yes)).output == "yes", f"{operator} matches {yes}"
    assert aws.wait(aws.start(state_machine, no)).output == "no", f"{operator} does not match {no}"


def test_choice_and_or_not(aws: Conformance) -> None:
    """state-choice.html: the Boolean operators, as in the guide's example
    (``"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {..."NumericLessThan": 30}]``)."""
    rule = {
        "Or": [
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                ]
            },
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}},
        ]
    }
    state_machine = aws.create(machine(rule))
    assert aws.wait(aws.start(state_machine, {"value": 25, "type": "Private"})).output == "yes"
    assert aws.wait(aws.start(state_machine, {"value": 35, "type": "Public"})).output == "yes"
    assert aws.wait(aws.start(state_machine, {"value": 35, "type": "Private"})).output == "no"


def test_choice_without_match_or_default_fails(aws: Conformance) -> None:
    """state-choice.html / the spec: no rule matches and no Default: States.NoChoiceMatched."""
    definition = {
        "StartAt": "Choose",
        "States": {
            "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Yes"}]},
            "Yes": {"Type": "Succeed"},
        },
    }
    done = aws.run(definition, {"v": 2})
    assert (done.status, done.error) == ("FAILED", "States.NoChoiceMatched")
