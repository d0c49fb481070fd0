"""Patches ``sfn_no_choice_matched``, ``sfn_assign_literals`` and ``sfn_variable_limits``
(orderflow.runtime.moto.asl), shown against plain moto: each gap test is a strict xfail (see
support.py), each patched test runs the same check with the patch on.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import client, create_state_machine, finished_execution, gap


def run(definition: dict[str, Any], payload: Any) -> dict[str, Any]:
    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, definition, name=f"m-{uuid.uuid4().hex[:8]}")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    return finished_execution(sfn, execution)


# -------------------------------------------------------------------------- sfn_no_choice_matched


def check_sfn_no_choice_matched() -> None:
    """ASL spec, Choice State: no matching rule and no Default: States.NoChoiceMatched."""
    definition = {
        "StartAt": "Choose",
        "States": {
            "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Yes"}]},
            "Yes": {"Type": "Succeed"},
        },
    }
    done = run(definition, {"v": 2})
    assert (done["status"], done.get("error")) == ("FAILED", "States.NoChoiceMatched")


@gap("sfn_no_choice_matched")
def test_sfn_no_choice_matched_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_no_choice_matched()


def test_sfn_no_choice_matched_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_no_choice_matched"):
        check_sfn_no_choice_matched()


# ---------------------------------------------------------------------------- sfn_assign_literals


def check_sfn_assign_literals() -> None:
    """An Assign string is the definition's JSON string: escapes decoded (json.dumps writes
    non-ASCII as \\u escapes)."""
    definition = {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Assign": {"greeting": 'Mar\u00eda said "hi"'}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"g.$": "$greeting"}, "End": True},
        },
    }
    done = run(definition, {})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == {"g": 'María said "hi"'}


@gap("sfn_assign_literals")
def test_sfn_assign_literals_gap_in_plain_moto(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_jsonata"):  # reading the variable needs the engine
        check_sfn_assign_literals()


def test_sfn_assign_literals_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_jsonata", "sfn_assign_literals"):
        check_sfn_assign_literals()


# ---------------------------------------------------------------------------- sfn_variable_limits

BIG = "x" * 140_000  # two of them: over the 256 KiB of one Assign


def check_sfn_variable_limits() -> None:
    """workflow-variables.html: one variable at most 256 KiB, one Assign at most 256 KiB."""
    one = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"big.$": "States.Format('{}{}', $.x, $.x)"}, "End": True}
        },
    }
    done = run(one, {"x": BIG})
    assert (done["status"], done.get("error")) == ("FAILED", "States.Runtime"), "a 280 kB variable"
    both = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Assign": {"a.$": "$.x", "b.$": "$.x"}, "End": True}},
    }
    done = run(both, {"x": BIG})
    assert (done["status"], done.get("error")) == ("FAILED", "States.Runtime"), "two 140 kB variables"
    fine = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"a.$": "$.x"}, "End": True}}}
    assert run(fine, {"x": BIG})["status"] == "SUCCEEDED", "one 140 kB variable"


@gap("sfn_variable_limits")
def test_sfn_variable_limits_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_variable_limits()


def test_sfn_variable_limits_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_variable_limits"):
        check_sfn_variable_limits()
