"""Patch ``sfn_stop_prompt`` (orderflow.runtime.moto.sfn_stop): StopExecution ends a Standard execution
at once, even while its task's Lambda invocation is still in flight.

AWS: "StopExecution ... For a Standard workflow, the execution's status changes to ABORTED"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html); the history
ends with ``ExecutionAborted``; an invocation in flight runs on, the execution does not wait for it.
The function here is held at a gate (moto's ``LambdaFunction.invoke`` waits on an event), so the
invocation is in flight when StopExecution comes: no timing luck, no sleeps.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.utils import TMP_THREADS

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import DEADLINE_SECONDS, client, create_function, create_state_machine, gap


def held_function(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """(entered, release): every invocation of a moto Lambda function waits at the gate."""
    entered, release = threading.Event(), threading.Event()

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        entered.set()
        release.wait(DEADLINE_SECONDS)
        return b'{"late": true}'

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    return entered, release


def check_sfn_stop_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = held_function(monkeypatch)
    function_arn = create_function()
    sfn = client("stepfunctions")
    machine = create_state_machine(
        sfn,
        {
            "StartAt": "Call",
            "States": {
                "Call": {"Type": "Task", "Resource": function_arn, "Next": "After"},
                "After": {"Type": "Pass", "End": True},
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, name="held", input="{}")["executionArn"]
    assert entered.wait(DEADLINE_SECONDS), "the invocation never started"
    try:
        sfn.stop_execution(executionArn=arn)
        # StopExecution has ended the execution: no waiting for it here
        described = sfn.describe_execution(executionArn=arn)
        assert described["status"] == "ABORTED", described["status"]
        assert "stopDate" in described
        events = sfn.get_execution_history(executionArn=arn)["events"]
        assert events[-1]["type"] == "ExecutionAborted", [e["type"] for e in events]
    finally:
        release.set()
    # the invocation answers late: the execution stays ABORTED and its history ends where it did
    for thread in list(TMP_THREADS):
        thread.join(DEADLINE_SECONDS)
    after = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in after] == [e["type"] for e in events]
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


@gap("sfn_stop_prompt")
def test_sfn_stop_prompt_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_sfn_stop_prompt(monkeypatch)


def test_sfn_stop_prompt_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("sfn_stop_prompt"):
        check_sfn_stop_prompt(monkeypatch)


def test_a_stop_without_a_call_in_flight_is_recorded_once(moto_aws: None) -> None:
    """A Wait state wakes at the stop and moto records the abort itself: one ExecutionAborted, not two."""
    sfn = client("stepfunctions")
    machine = create_state_machine(
        sfn, {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    with REGISTRY.enabled("sfn_stop_prompt"):
        arn = sfn.start_execution(stateMachineArn=machine, name="waiting", input="{}")["executionArn"]
        sfn.stop_execution(executionArn=arn)
        assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
        for thread in list(TMP_THREADS):
            thread.join(DEADLINE_SECONDS)
        types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert types.count("ExecutionAborted") == 1 and types[-1] == "ExecutionAborted", types


def test_a_stop_just_before_the_programs_first_step_is_an_abort_not_a_thread_error(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stop lands after the patched eval's check and before moto's Program.eval sets the first
    state (moto then raises RuntimeError "Could not set NextState value when in state ProgramStopped"):
    the execution ends ABORTED with one ExecutionAborted, and no thread dies with a traceback (a user of
    `orderflow up` would see it on stderr). The stop is put in that gap on purpose, not by luck."""
    import datetime as dt

    from orderflow.runtime.moto import sfn_stop

    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    real_run = sfn_stop._run_program

    def stopped_first(original_eval: Any, program: Any, env: Any, ends: Any) -> None:
        env.set_stop(stop_date=dt.datetime.now(dt.UTC), cause=None, error=None)
        real_run(original_eval, program, env, ends)

    monkeypatch.setattr(sfn_stop, "_run_program", stopped_first)
    sfn = client("stepfunctions")
    machine = create_state_machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with REGISTRY.enabled("sfn_stop_prompt"):
        arn = sfn.start_execution(stateMachineArn=machine, name="stopped-first", input="{}")["executionArn"]
        for thread in list(TMP_THREADS):
            thread.join(DEADLINE_SECONDS)
        status = sfn.describe_execution(executionArn=arn)["status"]
        types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert died == []
    assert status == "ABORTED"
    assert types.count("ExecutionAborted") == 1 and types[-1] == "ExecutionAborted", types
