"""sfn_execution_events (runtime/moto/sfn_watch.py): the runtime learns of each execution's start and end.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

from orderflow.runtime.moto import REGISTRY
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
