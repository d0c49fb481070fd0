"""ORDERFLOW_TIME_SCALE: Retry back-off and Wait states sleep scaled; the history keeps every attempt.

No test sleeps for real or asserts on elapsed time: the sleeps go through recorders (and a fake
clock for Wait states).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest

from orderflow.runtime.moto import sfn_local_hooks
from orderflow.runtime.sfn_local import time_scale
from orderflow.runtime.sfn_local.errors import MockConfigError
from orderflow.runtime.sfn_local.time_scale import install_time_scale, uninstall_time_scale

RETRYING = {
    "StartAt": "Flaky",
    "States": {
        "Flaky": {
            "Type": "Task",
            # A real SDK integration that always fails: no such table in moto.
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": "NoSuchTable", "Key": {"pk": {"S": "x"}}},
            "Retry": [
                {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 2}
            ],
            "End": True,
        }
    },
}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep of the retrier, recorded instead of slept (also moto's own time.sleep, if unpatched)."""
    recorded: list[float] = []
    monkeypatch.setattr(sfn_local_hooks, "_sleep", recorded.append)
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait of a Wait state, recorded against a fake clock that jumps by the waited time."""
    recorded: list[float] = []
    clock = [0.0]

    def wait_on_event(event: Any, timeout: float) -> None:
        recorded.append(timeout)
        clock[0] += timeout

    monkeypatch.setattr(sfn_local_hooks, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(sfn_local_hooks, "_wait_on_event", wait_on_event)
    return recorded


def task_failures(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "TaskFailed"]


def test_scale_zero_skips_retry_backoff_and_history_keeps_every_attempt(
    sleeps: list[float], create_machine: Any, run_execution: Any
) -> None:
    install_time_scale(0)
    described, events = run_execution(create_machine("Flaky", RETRYING))

    assert described["status"] == "FAILED"
    assert len(task_failures(events)) == 3  # the first attempt and MaxAttempts=2 retries
    assert sleeps == []


def test_retry_backoff_sleeps_are_scaled(
    sleeps: list[float], create_machine: Any, run_execution: Any
) -> None:
    install_time_scale(0.5)
    _, events = run_execution(create_machine("Flaky", RETRYING))

    assert len(task_failures(events)) == 3
    assert sleeps == [1.0, 2.0]  # IntervalSeconds 2 then 4 (BackoffRate 2), halved


def test_without_a_time_scale_moto_sleeps_the_full_backoff(
    sleeps: list[float], create_machine: Any, run_execution: Any
) -> None:
    # The control for the two tests above: moto's own retrier sleeps IntervalSeconds * BackoffRate**n.
    install_time_scale(0.5)
    uninstall_time_scale()
    run_execution(create_machine("Flaky", RETRYING))

    assert sleeps == [2, 4]


def wait_machine(wait: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", **wait, "End": True}}}


def in_ten_days() -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


TEN_DAYS = 10 * 24 * 3600


@pytest.mark.parametrize(
    ("wait", "execution_input", "expected_asl_seconds"),
    [
        pytest.param({"Seconds": 30}, {}, (30, 30), id="Seconds"),
        pytest.param({"SecondsPath": "$.delay"}, {"delay": 45}, (45, 45), id="SecondsPath"),
        # Whatever the local time zone, "in ten days" is within a day of ten days.
        pytest.param(
            {"Timestamp": "__IN_TEN_DAYS__"}, {}, (TEN_DAYS - 86400, TEN_DAYS + 86400), id="Timestamp"
        ),
        pytest.param(
            {"TimestampPath": "$.until"},
            "__IN_TEN_DAYS__",
            (TEN_DAYS - 86400, TEN_DAYS + 86400),
            id="TimestampPath",
        ),
    ],
)
def test_wait_states_wait_scaled(
    waits: list[float],
    create_machine: Any,
    run_execution: Any,
    wait: dict[str, Any],
    execution_input: Any,
    expected_asl_seconds: tuple[int, int],
) -> None:
    install_time_scale(0.001)
    wait = {key: in_ten_days() if value == "__IN_TEN_DAYS__" else value for key, value in wait.items()}
    if execution_input == "__IN_TEN_DAYS__":
        execution_input = {"until": in_ten_days()}

    described, events = run_execution(create_machine("Waiter", wait_machine(wait)), execution_input)

    assert described["status"] == "SUCCEEDED"
    assert [e["type"] for e in events if e["type"].startswith("Wait")] == [
        "WaitStateEntered",
        "WaitStateExited",
    ]
    low, high = expected_asl_seconds
    assert len(waits) == 1
    assert low * 0.001 - 1e-9 <= waits[0] <= high * 0.001 + 1e-9


def test_wait_of_30_seconds_finishes_at_scale_zero_without_waiting(
    waits: list[float], create_machine: Any, run_execution: Any
) -> None:
    install_time_scale(0)
    described, events = run_execution(create_machine("Waiter", wait_machine({"Seconds": 30})))

    assert described["status"] == "SUCCEEDED"
    assert [e["type"] for e in events if e["type"].startswith("Wait")] == [
        "WaitStateEntered",
        "WaitStateExited",
    ]
    assert waits == []


def test_a_timestamp_in_the_past_does_not_wait(
    waits: list[float], create_machine: Any, run_execution: Any
) -> None:
    install_time_scale(0.5)
    described, _ = run_execution(
        create_machine("Waiter", wait_machine({"Timestamp": "2001-01-01T00:00:00Z"}))
    )

    assert described["status"] == "SUCCEEDED"
    assert waits == []


def test_scale_one_restores_moto_code() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    original_wait = WaitFunction.__dict__["_wait_interval"]
    install_time_scale(0)
    assert retrier_decl.time is not time
    assert WaitFunction.__dict__["_wait_interval"] is not original_wait
    install_time_scale(1)
    assert retrier_decl.time is time
    assert WaitFunction.__dict__["_wait_interval"] is original_wait


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "fast"])
def test_invalid_factor_is_rejected(bad: Any) -> None:
    with pytest.raises(MockConfigError, match=r"^time scale: expected a non-negative number, got "):
        install_time_scale(bad)
    assert time_scale.current_time_scale() == 1.0


def test_history_is_the_same_with_and_without_the_time_scale(
    sleeps: list[float], create_machine: Any, run_execution: Any
) -> None:
    install_time_scale(0)
    arn = create_machine("Flaky", RETRYING)
    _, scaled_events = run_execution(arn, name="scaled")
    uninstall_time_scale()
    _, real_events = run_execution(arn, name="real")

    def shape(events: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
        return [(e["type"], e["id"], e.get("previousEventId", 0)) for e in events]

    assert shape(scaled_events) == shape(real_events)
    assert sleeps == [2, 4]  # only the unscaled run slept (into the recorder)
