"""Schedule expressions (runtime/schedule_expr.py), as
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html defines them."""

from __future__ import annotations

import datetime as dt

import pytest

from orderflow.runtime.schedule_expr import ScheduleError, parse

T0 = dt.datetime(2026, 12, 7, 18, 30, 15, tzinfo=dt.UTC)  # a Monday


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rates(expression: str, seconds: int) -> None:
    assert parse(expression).next_after(T0) == T0 + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 hours)", "rate(1 week)"])
def test_bad_rates(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 2 * * ? *)", at(2026, 12, 8, 2, 0)),  # every day at 02:00
        ("cron(15 10 ? * 6L 2026)", None),  # L: refused below
        ("cron(0/15 * * * ? *)", at(2026, 12, 7, 18, 45)),  # every 15 minutes
        ("cron(0 18 ? * MON-FRI *)", at(2026, 12, 8, 18, 0)),  # weekdays at 18:00
        ("cron(0 8 1 * ? *)", at(2027, 1, 1, 8, 0)),  # the first of the month
        ("cron(30 9 ? * SUN *)", at(2026, 12, 13, 9, 30)),  # Sundays (1 = SUN)
        ("cron(0 12 ? JAN,FEB 2 2027)", at(2027, 1, 4, 12, 0)),  # Mondays of Jan/Feb 2027 (2 = MON)
        ("cron(31 18 * * ? *)", at(2026, 12, 7, 18, 31)),  # later this very hour
    ],
)
def test_cron(expression: str, expected: dt.datetime | None) -> None:
    if expected is None:
        with pytest.raises(ScheduleError, match="not supported locally"):
            parse(expression)
        return
    assert parse(expression).next_after(T0) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 2 * * *)",
        "cron(0 2 * * * *)",
        "cron(0 2 ? * ? *)",
        "cron(61 2 * * ? *)",
        "cron(0 2 * FOO ? *)",
        "hourly",
    ],
)
def test_bad_cron(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)


def test_cron_in_a_past_year_never_fires() -> None:
    assert parse("cron(0 2 * * ? 2020)").next_after(T0) is None


def test_at_fires_once() -> None:
    once = parse("at(2026-12-24T08:00:00)")
    assert once.next_after(T0) == at(2026, 12, 24, 8, 0)
    assert once.next_after(at(2026, 12, 24, 8, 0)) is None


def test_cron_and_at_in_a_time_zone() -> None:
    """Scheduler's ScheduleExpressionTimezone: 09:00 in Paris is 08:00 UTC in winter, 07:00 in summer."""
    assert parse("cron(0 9 * * ? *)", "Europe/Paris").next_after(T0) == at(2026, 12, 8, 8, 0)
    summer = at(2027, 7, 1, 0, 0)
    assert parse("cron(0 9 * * ? *)", "Europe/Paris").next_after(summer) == at(2027, 7, 1, 7, 0)
    assert parse("at(2026-12-24T08:00:00)", "America/New_York").next_after(T0) == at(2026, 12, 24, 13, 0)
    with pytest.raises(ScheduleError, match="time zone"):
        parse("cron(0 9 * * ? *)", "Mars/Olympus")
