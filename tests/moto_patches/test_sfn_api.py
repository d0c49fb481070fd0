"""Patches of orderflow.runtime.moto.sfn_api (``sfn_describe_output``, ``sfn_history_order``,
``sfn_task_failure_cause``, ``sfn_invalid_definition``), shown against plain moto: each gap test is a
strict xfail (see support.py), each patched test runs the same check with the patch on.

The callback case uses ``sqs:sendMessage.waitForTaskToken`` (plain moto runs no Lambda without
Docker): the test reads the token from the queue, then answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    PASS_MACHINE,
    ROLE_ARN,
    callback_machine,
    client,
    create_state_machine,
    finished_execution,
    gap,
    handed_out_token,
    run,
    start,
)

# ---------------------------------------------------------------------------- sfn_describe_output


def check_sfn_describe_output() -> None:
    done = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "Hello", "End": True}}})
    assert done["status"] == "SUCCEEDED"
    assert done["output"] == '"Hello"', "DescribeExecution's output is JSON text"


@gap("sfn_describe_output")
def test_sfn_describe_output_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_describe_output()


def test_sfn_describe_output_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_describe_output"):
        check_sfn_describe_output()


# ------------------------------------------------------------------------------ sfn_history_order


def check_sfn_history_order() -> None:
    sfn = client("stepfunctions")
    execution = start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    finished_execution(sfn, execution)
    everything = sfn.get_execution_history(executionArn=execution)["events"]
    newest_first = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert [e["id"] for e in newest_first] == [e["id"] for e in reversed(everything)]
    first = sfn.get_execution_history(executionArn=execution, maxResults=2)
    assert [e["id"] for e in first["events"]] == [1, 2]
    rest = sfn.get_execution_history(executionArn=execution, maxResults=100, nextToken=first["nextToken"])
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in everything[2:]]
    assert "nextToken" not in rest


@gap("sfn_history_order")
def test_sfn_history_order_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_history_order()


def test_sfn_history_order_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_history_order"):
        check_sfn_history_order()


# ------------------------------------------------------------------------- sfn_task_failure_cause


def check_sfn_task_failure_cause() -> None:
    sfn = client("stepfunctions")
    url = client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    execution = start(callback_machine(url))
    sfn.send_task_failure(taskToken=handed_out_token(url), error="Rejected", cause="the reviewer said no")
    done = finished_execution(sfn, execution)
    assert (done["status"], done.get("error"), done.get("cause")) == (
        "FAILED",
        "Rejected",
        "the reviewer said no",
    )


@gap("sfn_task_failure_cause")
def test_sfn_task_failure_cause_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_task_failure_cause()


def test_sfn_task_failure_cause_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_task_failure_cause"):
        check_sfn_task_failure_cause()


# ------------------------------------------------------------------------- sfn_invalid_definition


def refusal(definition: str) -> dict[str, Any]:
    """The error of CreateStateMachine with ``definition`` (an assertion failure if it is accepted)."""
    sfn = client("stepfunctions")
    try:
        sfn.create_state_machine(name=f"bad-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=ROLE_ARN)
    except ClientError as exc:
        return dict(exc.response["Error"])
    raise AssertionError(f"CreateStateMachine accepted {definition}")


def check_sfn_invalid_definition() -> None:
    """API_CreateStateMachine.html, Errors: InvalidDefinition, with a message that names the problem."""
    unknown_type = refusal(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Bogus", "End": True}}}))
    assert unknown_type["Code"] == "InvalidDefinition", unknown_type
    assert unknown_type["Message"].startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ")
    assert "Bogus" in unknown_type["Message"]
    not_json = refusal("{not json")
    assert not_json["Code"] == "InvalidDefinition", not_json
    assert "INVALID_JSON_DESCRIPTION" in not_json["Message"]
    missing = refusal(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    assert (missing["Code"], missing["Message"]) == (
        "InvalidDefinition",
        "Invalid State Machine Definition: "
        "'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next'",
    )
    nested = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "X", "States": {"Y": {"Type": "Succeed"}}}],
        "End": True,
    }
    in_branch = refusal(json.dumps({"StartAt": "P", "States": {"P": nested}}))
    assert "Missing 'StartAt' target: X at /States/P/Branches[0]/StartAt" in in_branch["Message"]


@gap("sfn_invalid_definition")
def test_sfn_invalid_definition_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_invalid_definition()


def test_sfn_invalid_definition_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_invalid_definition"):
        check_sfn_invalid_definition()
        sfn = client("stepfunctions")  # and a valid one is still accepted
        assert create_state_machine(sfn, PASS_MACHINE, name="fine").endswith(":fine")
