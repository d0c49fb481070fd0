"""Conformance: error handling, from "Handling errors in Step Functions workflows"
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) and the spec's
"Errors" section (https://states-language.net/spec.html#errors).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tests.conformance.harness import Conformance, LambdaError


def flaky(failures: int, error: str = "CustomError") -> Any:
    """A function that fails ``failures`` times, then answers."""
    calls = {"n": 0}

    def handler(event: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise LambdaError(error, f"attempt {calls['n']}")
        return {"attempts": calls["n"]}

    return handler


def task(arn: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": arn, **fields, "End": True}}}


def test_retry_then_succeed(aws: Conformance) -> None:
    """concepts-error-handling.html, "Retrying after an error": a Retrier matching the error retries
    up to MaxAttempts (intervals run at time scale 0)."""
    arn = aws.function("flaky-2", flaky(2))
    definition = task(
        arn,
        Retry=[{"ErrorEquals": ["CustomError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}],
    )
    done = aws.run(definition, {})
    assert (done.status, done.output) == ("SUCCEEDED", {"attempts": 3})


def test_retry_exhausted_fails_with_the_error(aws: Conformance) -> None:
    """concepts-error-handling.html: after MaxAttempts the state fails with the last error."""
    arn = aws.function("flaky-5", flaky(5))
    done = aws.run(task(arn, Retry=[{"ErrorEquals": ["CustomError"], "MaxAttempts": 1}]), {})
    assert (done.status, done.error) == ("FAILED", "CustomError")
    assert len(aws.functions.calls) == 2


def test_max_attempts_zero_never_retries(aws: Conformance) -> None:
    """concepts-error-handling.html: "MaxAttempts ... A value of 0 means the error is never retried"."""
    arn = aws.function("flaky-once", flaky(1))
    done = aws.run(task(arn, Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]), {})
    assert (done.status, done.error) == ("FAILED", "CustomError")
    assert len(aws.functions.calls) == 1


def test_lambda_error_cause_is_the_function_error_payload(aws: Conformance) -> None:
    """concepts-error-handling.html: a Lambda function's unhandled error is the error name, and the
    cause carries the function's errorMessage/errorType."""
    arn = aws.function("always-fails", flaky(10, "CustomError"))
    done = aws.run(task(arn), {})
    assert (done.status, done.error) == ("FAILED", "CustomError")
    assert json.loads(done.cause)["errorMessage"] == "attempt 1"


def test_catch_with_result_path_keeps_the_input(aws: Conformance) -> None:
    """concepts-error-handling.html, "Fallback states" with ResultPath "$.error-info": the error
    output is added to the input."""
    arn = aws.function("fails", flaky(10))
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [{"ErrorEquals": ["CustomError"], "ResultPath": "$.error-info", "Next": "Fallback"}],
                "End": True,
            },
            "Fallback": {"Type": "Pass", "End": True},
        },
    }
    done = aws.run(definition, {"foo": "bar"})
    assert done.status == "SUCCEEDED"
    assert done.output["foo"] == "bar"
    assert done.output["error-info"]["Error"] == "CustomError"
    assert json.loads(done.output["error-info"]["Cause"])["errorType"] == "CustomError"


def test_catch_states_all_after_specific_catchers(aws: Conformance) -> None:
    """concepts-error-handling.html: Catchers are evaluated in order; "States.ALL" matches any error."""
    arn = aws.function("fails-other", flaky(10, "OtherError"))
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [
                    {"ErrorEquals": ["CustomError"], "Next": "Custom"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Any"},
                ],
                "End": True,
            },
            "Custom": {"Type": "Pass", "Result": "custom", "End": True},
            "Any": {"Type": "Pass", "Result": "any", "End": True},
        },
    }
    assert aws.run(definition, {}).output == "any"


def test_task_failed_is_matched_by_states_task_failed(aws: Conformance) -> None:
    """The spec's predefined error codes: States.TaskFailed matches any error of a Task (except
    States.Timeout)."""
    arn = aws.function("fails-task", flaky(10, "Whatever"))
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Pass", "Result": "caught", "End": True},
        },
    }
    assert aws.run(definition, {}).output == "caught"


def test_fail_state_error_is_caught_by_an_enclosing_parallel(aws: Conformance) -> None:
    """concepts-error-handling.html: errors of a Fail state in a branch reach the Parallel's Catch."""
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "MyError", "Cause": "why"}}}
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    done = aws.run(definition, {"k": 1})
    assert done.output == {"k": 1, "err": {"Error": "MyError", "Cause": "why"}}


def test_retry_jitter_and_max_delay_are_accepted(aws: Conformance) -> None:
    """concepts-error-handling.html: MaxDelaySeconds and JitterStrategy "FULL" are Retrier fields."""
    arn = aws.function("flaky-1", flaky(1))
    retry = [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": 2,
            "MaxAttempts": 3,
            "BackoffRate": 3,
            "MaxDelaySeconds": 5,
            "JitterStrategy": "FULL",
        }
    ]
    done = aws.run(task(arn, Retry=retry), {})
    assert (done.status, done.output) == ("SUCCEEDED", {"attempts": 2})


def test_create_state_machine_refuses_an_invalid_definition(aws: Conformance) -> None:
    """API_CreateStateMachine.html, Errors: InvalidDefinition ("The provided Amazon States Language
    definition is not valid"), with a message naming the problem; nothing is created."""
    before = len(aws.sfn.list_state_machines()["stateMachines"])
    for definition, problem in [
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}, "MISSING_TRANSITION_TARGET"),
        ({"StartAt": "A", "States": {"A": {"Type": "Unknown", "End": True}}}, "SCHEMA_VALIDATION_FAILED"),
    ]:
        try:
            aws.create(definition)
        except ClientError as exc:
            error = exc.response["Error"]
        else:
            raise AssertionError(f"accepted {definition}")
        assert error["Code"] == "InvalidDefinition", error
        assert error["Message"].startswith(f"Invalid State Machine Definition: '{problem}: "), error
    assert len(aws.sfn.list_state_machines()["stateMachines"]) == before
