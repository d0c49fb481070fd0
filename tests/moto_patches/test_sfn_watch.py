"""sfn_execution_events (runtime/moto/sfn_watch.py): the runtime learns of each execution's start and end.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

from typing import Any

from orderflow.runtime.moto import REGISTRY, hooks
from tests.moto_patches.support import (
    FAIL_MACHINE,
    RecordingHooks,
    client,
    create_state_machine,
    finished_execution,
    gap,
    wait_until,
)

# -------------------------------------------------------------------------- sfn_execution_events


def check_sfn_execution_events(runtime_hooks: RecordingHooks) -> None:
    """Step Functions records AWS/States metrics per execution start and end: the runtime (which
    records them) must learn of both, with the end's status, error and duration."""
    sfn = client("stepfunctions")
    failing = create_state_machine(sfn, FAIL_MACHINE, name="failing")
    arn = sfn.start_execution(stateMachineArn=failing, name="run", input="{}")["executionArn"]
    # the start is told inside StartExecution, before it answers (the end may already follow: the
    # machine fails at once, on the execution's own thread)
    assert [kind for kind, _ in runtime_hooks.execution_events][:1] == ["started"], (
        runtime_hooks.execution_events
    )
    assert finished_execution(sfn, arn)["status"] == "FAILED"
    ended = wait_until(
        lambda: [e for kind, e in runtime_hooks.execution_events if kind == "ended"], "the execution's end"
    )
    kinds = [kind for kind, _ in runtime_hooks.execution_events]
    assert kinds == ["started", "ended"], kinds
    [end] = ended
    assert (end["executionArn"], end["stateMachineArn"], end["status"]) == (arn, failing, "FAILED")
    assert (end["error"], end["cause"]) == ("Boom", "why")
    assert end["durationMs"] is not None and end["durationMs"] >= 0


@gap("sfn_execution_events")
def test_sfn_execution_events_gap_in_plain_moto(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_sfn_execution_events(runtime_hooks)


def test_sfn_execution_events_patched(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    with REGISTRY.enabled("sfn_execution_events"):
        check_sfn_execution_events(runtime_hooks)


class StatusAtEndHooks(RecordingHooks):
    """Records, when told of an end, what DescribeExecution shows of that execution at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.status_when_told: list[str] = []

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        if kind == "ended":
            shown = client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
            self.status_when_told.append(shown["status"])
        super().execution_event(kind, execution)


def test_the_end_is_told_before_the_final_status_shows(moto_aws: None) -> None:
    """The runtime records the end's metric (ExecutionsFailed) when told of the end; a caller that
    sees DescribeExecution say FAILED and then evaluates the alarm must find that data point. So the
    end is told while the status still shows RUNNING (deterministic: the hook looks from inside the
    telling, on the execution's thread), and once FAILED shows, the end has been told: no waiting."""
    recorder = StatusAtEndHooks()
    hooks.attach(recorder)
    try:
        with REGISTRY.enabled("sfn_execution_events"):
            sfn = client("stepfunctions")
            failing = create_state_machine(sfn, FAIL_MACHINE, name="failing")
            arn = sfn.start_execution(stateMachineArn=failing, name="run", input="{}")["executionArn"]
            assert finished_execution(sfn, arn)["status"] == "FAILED"
            told = [(kind, e["status"]) for kind, e in recorder.execution_events]  # read once, right after
            assert told == [("started", "RUNNING"), ("ended", "FAILED")], told
            assert recorder.status_when_told == ["RUNNING"], recorder.status_when_told
    finally:
        hooks.detach()
