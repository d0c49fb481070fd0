"""The scheduler (runtime/schedules.py) driven by its tick hook on an injected clock: no real waits."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from orderflow.runtime.schedules import MIN_PERIOD_S, Scheduler

T0 = dt.datetime(2026, 12, 7, 18, 30, tzinfo=dt.UTC).timestamp()
HOURLY = ("arn:rule/hourly", "hourly", "rate(1 hour)")
NIGHTLY = ("arn:rule/nightly", "nightly", "cron(0 2 * * ? *)")


class Rig:
    def __init__(self, rules: list[tuple[str, str, str]], time_scale: float | None = None) -> None:
        self.rules = rules
        self.fired: list[tuple[str, dt.datetime]] = []
        self.scheduler = Scheduler(
            lambda: list(self.rules),
            lambda arn, when: self.fired.append((arn, when)),
            time_scale=time_scale,
            clock=lambda: T0,
        )

    def at(self, seconds: float) -> list[tuple[str, dt.datetime]]:
        """Tick ``seconds`` after T0; what fired at that tick."""
        before = len(self.fired)
        self.scheduler.tick(T0 + seconds)
        return self.fired[before:]


def test_real_time_a_rate_fires_after_its_period() -> None:
    rig = Rig([HOURLY])
    assert rig.at(0) == []
    assert rig.at(3599) == []
    [(arn, when)] = rig.at(3600)
    assert arn == "arn:rule/hourly" and when == dt.datetime.fromtimestamp(T0 + 3600, dt.UTC)
    assert rig.at(3601) == []
    assert len(rig.at(7200)) == 1


def test_a_time_scale_makes_an_hour_a_few_seconds() -> None:
    """--time-scale 0.001: rate(1 hour) every 3.6 s; the event's time is still an hour apart."""
    rig = Rig([HOURLY], time_scale=0.001)
    rig.at(0)
    assert rig.at(3.5) == []
    [(_, first)] = rig.at(3.6)
    assert rig.at(7.1) == []
    [(_, second)] = rig.at(7.2)
    assert second - first == dt.timedelta(hours=1)


def test_cron_fires_at_its_utc_time_scaled() -> None:
    rig = Rig([NIGHTLY], time_scale=0.01)
    rig.at(0)
    # 18:30 -> 02:00 next day is 7.5 h = 27000 s of schedule time: 270 s at 0.01
    assert rig.at(269) == []
    [(_, when)] = rig.at(270)
    assert when == dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)


def test_time_scale_zero_fires_once_a_second_at_most() -> None:
    rig = Rig([HOURLY], time_scale=0)
    rig.at(0)
    assert rig.at(MIN_PERIOD_S - 0.01) == []
    assert len(rig.at(MIN_PERIOD_S)) == 1
    assert rig.at(MIN_PERIOD_S + 0.5) == []


def test_a_late_tick_fires_once_not_a_burst() -> None:
    rig = Rig([HOURLY])
    rig.at(0)
    assert len(rig.at(10 * 3600)) == 1
    assert rig.at(10 * 3600 + 1) == []


def test_rules_come_and_go() -> None:
    rig = Rig([])
    rig.at(0)
    rig.rules.append(HOURLY)
    rig.at(100)  # first seen now: its hour counts from here
    assert rig.at(3600) == []
    assert len(rig.at(3700)) == 1
    rig.rules.clear()
    assert rig.at(10 * 3600) == []


def test_a_bad_expression_is_said_once_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([("arn:rule/bad", "bad", "cron(0 2 L * ? *)"), HOURLY])
    with caplog.at_level(logging.WARNING, logger="orderflow.runtime"):
        rig.at(0)
        rig.at(1)
        fired = rig.at(3600)
    assert [arn for arn, _ in fired] == ["arn:rule/hourly"]
    assert [r.getMessage() for r in caplog.records if "bad" in r.getMessage()] == [
        "rule bad: schedule cron(0 2 L * ? *): 'L': L, W and # are not supported locally"
    ]


def test_a_failing_delivery_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    fired: list[str] = []

    def fire(arn: str, when: dt.datetime) -> None:
        if arn.endswith("hourly"):
            raise RuntimeError("target gone")
        fired.append(arn)

    scheduler = Scheduler(
        lambda: [HOURLY, ("arn:rule/other", "other", "rate(1 hour)")], fire, clock=lambda: T0
    )
    scheduler.tick(T0)
    with caplog.at_level(logging.WARNING, logger="orderflow.runtime"):
        assert scheduler.tick(T0 + 3600) == T0 + 7200
    assert fired == ["arn:rule/other"]
    assert "schedule of rule hourly did not fire: target gone" in caplog.text
