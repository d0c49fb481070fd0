"""Resuming an execution restored RUNNING from a state file (orderflow.runtime.moto.sfn_resume).

Plain moto cannot: a restored execution has no worker, and its interpreter only ever starts at the
definition's StartAt with a new history. Here moto runs with the patches the runtime uses
(lambda_invoke hands Lambda tasks to a stand-in runtime that holds chosen invocations at a gate;
the state patches save and load; sfn_time_scale at 0 skips Retry back-off), the state is saved while
an invocation is held, loaded back, and the restored execution resumed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.runtime.moto import REGISTRY, hooks, sfn_local_hooks, sfn_resume
from orderflow.runtime.moto import state as moto_state

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/resume-tests"
PATCHES = ("lambda_invoke", "kms_pickle", "sqs_pickle", "lambda_pickle", "sfn_pickle", "sfn_time_scale")
EXIT_RETRY = [{"ErrorEquals": ["Runtime.ExitError"], "IntervalSeconds": 1, "MaxAttempts": 2}]


def lambda_task(function: str, following: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "Next": following,
        **extra,
    }


# Validate retries a dead environment (idempotent); Notify does not (it may have sent): it is caught.
MACHINE = {
    "StartAt": "Validate",
    "TimeoutSeconds": 600,
    "States": {
        "Validate": lambda_task("validate", "Notify", Retry=EXIT_RETRY),
        "Notify": lambda_task(
            "notify",
            "Done",
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Parked"}],
        ),
        "Parked": {"Type": "Pass", "Result": "PARKED", "ResultPath": "$.notification", "End": True},
        "Done": {"Type": "Pass", "End": True},
    },
}


class GatedRuntime:
    """The runtime as the patches see it: each Lambda answers ``{"by": name, ...input}``; the first
    invocation of ``hold`` waits until ``release``."""

    def __init__(self, hold: str) -> None:
        self.hold = hold
        self.held, self.release = threading.Event(), threading.Event()
        self.invocations: list[str] = []
        self.threads: list[threading.Thread] = []  # the held execution's, as it ran before the "stop"

    def finish(self) -> None:
        """Let the held execution go and wait for its threads to end, so that nothing of this test
        calls the process-global hooks after it (the next test's would record its end)."""
        self.release.set()
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive(), f"{thread.name} did not end"

    def invoke_function(
        self, name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, None]:
        self.invocations.append(name)
        if name == self.hold and not self.held.is_set():
            self.held.set()
            self.release.wait(30)
        payload = json.loads(event) if isinstance(event, str | bytes) else dict(event or {})
        return json.dumps({**payload, "by": name}).encode(), None

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        pass

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        pass

    def lambda_fault(self, function_name: str) -> None:
        return None

    def iam_denied(self, denial: Any) -> None:
        pass


@pytest.fixture
def patched() -> Iterator[None]:
    if REGISTRY.active() or hooks.attached():
        raise RuntimeError(f"not plain moto: patches on {REGISTRY.active()}")
    sfn_local_hooks.set_time_scale(0)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), REGISTRY.enabled(*PATCHES):
        yield
    sfn_local_hooks.set_time_scale(1)


def start_held(runtime: GatedRuntime, tmp_path: Path) -> tuple[Any, str]:
    """Start an execution of MACHINE, save the state while ``runtime.hold`` is held, load it back."""
    hooks.attach(runtime)
    boto3.client("iam", region_name=REGION).create_role(
        RoleName="resume-tests", AssumeRolePolicyDocument="{}"
    )
    for name in ("validate", "notify"):
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE_ARN,
            Handler="app.handler",
            Code={"ZipFile": b"x"},
        )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(name="m", definition=json.dumps(MACHINE), roleArn=ROLE_ARN)
    before = set(threading.enumerate())
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="e", input='{"order": 1}')[
        "executionArn"
    ]
    assert runtime.held.wait(30), "the invocation reached the gate"
    runtime.threads = [thread for thread in threading.enumerate() if thread not in before]
    saved: list[moto_state.SavedRunning] = []
    moto_state.save(tmp_path / "aws-state", {}, saved)
    assert [(s.name, s.express) for s in saved] == [("e", False)]
    header = moto_state.load(tmp_path / "aws-state")
    assert header["resumable"] == ["e"]
    return sfn, arn


def finished(sfn: Any, arn: str) -> dict[str, Any]:
    pause, deadline = threading.Event(), time.monotonic() + 30
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        pause.wait(0.01)
    raise AssertionError("the resumed execution never ended")


def test_a_lambda_task_cut_by_the_stop_fails_as_a_dead_environment_and_its_retry_runs_it(
    patched: None, tmp_path: Path
) -> None:
    runtime = GatedRuntime(hold="validate")
    try:
        sfn, arn = start_held(runtime, tmp_path)
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING", "kept RUNNING, not ABORTED"
        before = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
        assert before == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"]
        [resumed] = sfn_resume.resume_restored(ACCOUNT, REGION)
        assert (resumed.name, resumed.state, resumed.error) == ("e", "Validate", None)
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED" and done["executionArn"] == arn
        assert json.loads(done["output"]) == {"order": 1, "by": "notify"}
        events = sfn.get_execution_history(executionArn=arn)["events"]
        assert [e["type"] for e in events][:9] == [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",  # the attempt the stop cut: recorded once, before the stop
            "TaskFailed",  # ... and how it ended, as Lambda ends a dead environment's invocation
            "TaskScheduled",  # Validate's Retry on Runtime.ExitError runs it again
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
        ]
        failed = events[4]
        assert failed["previousEventId"] == events[3]["id"]
        assert failed["taskFailedEventDetails"]["error"] == "Runtime.ExitError"
        assert (
            sfn_resume.STOPPED_NOTE in json.loads(failed["taskFailedEventDetails"]["cause"])["errorMessage"]
        )
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    finally:
        runtime.finish()
        hooks.detach()


def test_a_task_that_does_not_retry_a_dead_environment_goes_to_its_catch_and_is_not_run_again(
    patched: None, tmp_path: Path
) -> None:
    runtime = GatedRuntime(hold="notify")
    try:
        sfn, arn = start_held(runtime, tmp_path)
        calls = len(runtime.invocations)
        [resumed] = sfn_resume.resume_restored(ACCOUNT, REGION)
        assert resumed.state == "Notify"
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["output"])["notification"] == "PARKED"
        assert runtime.invocations[calls:] == [], "Notify, which may have sent, was not run again"
    finally:
        runtime.finish()
        hooks.detach()


def test_an_execution_whose_state_is_gone_from_its_definition_is_resolved_aborted(
    patched: None, tmp_path: Path
) -> None:
    runtime = GatedRuntime(hold="validate")
    try:
        sfn, arn = start_held(runtime, tmp_path)
        [execution] = list(sfn_resume.restored_running(ACCOUNT, REGION))
        execution.state_machine.definition = json.dumps({"StartAt": "Other", "States": {}})
        [resumed] = sfn_resume.resume_restored(ACCOUNT, REGION)
        assert resumed.error == "its definition has no StartAt state 'Other'"
        described = sfn.describe_execution(executionArn=arn)
        assert described["status"] == "ABORTED" and described["error"] == moto_state.INTERRUPTED_ERROR
        assert "could not be resumed" in described["cause"]
        assert list(sfn_resume.restored_running(ACCOUNT, REGION)) == [], "nothing claims RUNNING"
    finally:
        runtime.finish()
        hooks.detach()


# ---------------------------------------------------------------------------- the resume point


def event(event_id: int, kind: str, **details: Any) -> dict[str, Any]:
    return {"id": event_id, "previousEventId": event_id - 1, "type": kind, **details}


def entered(event_id: int, name: str, value: Any) -> dict[str, Any]:
    return event(
        event_id, "TaskStateEntered", stateEnteredEventDetails={"name": name, "input": json.dumps(value)}
    )


def exited(event_id: int, name: str, value: Any) -> dict[str, Any]:
    return event(
        event_id, "TaskStateExited", stateExitedEventDetails={"name": name, "output": json.dumps(value)}
    )


def test_the_resume_point_follows_the_history() -> None:
    started = [event(1, "ExecutionStarted")]
    assert sfn_resume.resume_point(MACHINE, started, {"a": 1}) == sfn_resume.ResumePoint(
        "Validate", {"a": 1}, 1
    )
    # between two states: the next one, with the output of the one that ended
    between = [*started, entered(2, "Validate", {"a": 1}), exited(3, "Validate", {"b": 2})]
    assert sfn_resume.resume_point(MACHINE, between, {}) == sfn_resume.ResumePoint("Notify", {"b": 2}, 3)
    # after the last state: the execution ends with its output
    last = [*between, entered(4, "Done", {"b": 2}), exited(5, "Done", {"c": 3})]
    assert sfn_resume.resume_point(MACHINE, last, {}) == sfn_resume.ResumePoint(None, {"c": 3}, 5)
    # in a retry's back-off (the last attempt failed): the state again, no attempt in flight
    backoff = [*between[:2], event(3, "TaskScheduled"), event(4, "TaskStarted"), event(5, "TaskFailed")]
    assert sfn_resume.resume_point(MACHINE, backoff, {}) == sfn_resume.ResumePoint("Validate", {"a": 1}, 5)
    # a Lambda invocation in flight: its entry, scheduling and start are not recorded again
    flight = [*between[:2], event(3, "TaskScheduled"), event(4, "TaskStarted")]
    point = sfn_resume.resume_point(MACHINE, flight, {})
    assert point.replay == (("TaskStateEntered", 2), ("TaskScheduled", 3), ("TaskStarted", 4))
    assert point.lambda_in_flight and point.previous_event_id == 1


def test_the_resumed_timeout_counts_the_time_already_run() -> None:
    point = sfn_resume.ResumePoint("Notify", {}, 3)
    resumed = json.loads(sfn_resume._with_start(json.dumps(MACHINE), point, elapsed_s=100.4))
    assert (resumed["StartAt"], resumed["TimeoutSeconds"]) == ("Notify", 499)
    assert json.loads(sfn_resume._with_start(json.dumps(MACHINE), point, 10_000))["TimeoutSeconds"] == 1
