"""EventBridge schedule expressions: ``rate(value unit)`` and ``cron(min hour dom month dow year)``.

As https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html defines
them (UTC): a rate's unit is ``minute(s)``, ``hour(s)`` or ``day(s)`` (singular for 1); cron has six
fields with ``*``, ``,``, ``-``, ``/``; ``?`` in day-of-month or day-of-week (one of them must be
``?``); month names JAN-DEC and day names SUN-SAT (1 = Sunday). ``L``, ``W`` and ``#`` are not
supported locally (:class:`ScheduleError` says so). EventBridge Scheduler's ``at(yyyy-mm-ddThh:mm:ss)``
is a one-time schedule; Scheduler's ``ScheduleExpressionTimezone`` is honoured for cron() and at().
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from orderflow.errors import OrderflowError

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_SEARCH_DAYS = 366 * 5


class ScheduleError(OrderflowError, ValueError):
    """A schedule expression that is not valid (or uses what is not supported locally)."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    rate_seconds: int | None = None
    fields: tuple[frozenset[int] | None, ...] = ()  # minute, hour, dom, month, dow, year (None: any)
    at: dt.datetime | None = None
    zone: dt.tzinfo = dt.UTC  # cron() and at() are in this time zone (EventBridge Scheduler's timezone)

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        """The first firing strictly after ``when``, in UTC; None: never again."""
        when = when.astimezone(dt.UTC)
        if self.rate_seconds is not None:
            return when + dt.timedelta(seconds=self.rate_seconds)
        if self.at is not None:
            return self.at if self.at > when else None
        found = _next_cron(self.fields, when.astimezone(self.zone))
        return None if found is None else found.astimezone(dt.UTC)


def parse(expression: str, timezone: str = "UTC") -> Schedule:
    """The schedule of ``expression``; ``timezone`` (an IANA name) is where cron() and at() count."""
    try:
        zone: dt.tzinfo = dt.UTC if timezone in ("", "UTC") else zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{expression}: unknown time zone {timezone!r}") from None
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"{expression}: the rate must be a positive whole number")
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{expression}: use the singular unit for 1 and the plural otherwise")
        return Schedule(text, rate_seconds=value * _UNIT_SECONDS[unit.rstrip("s")])
    at = _AT.match(text)
    if at:
        local = dt.datetime.fromisoformat(at.group(1)).replace(tzinfo=zone)
        return Schedule(text, at=local.astimezone(dt.UTC), zone=zone)
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleError(f"{expression}: not a rate(...), cron(...) or at(...) expression")
    parts = cron.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(
            f"{expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)"
        )
    if (parts[2] == "?") == (parts[4] == "?"):
        raise ScheduleError(f"{expression}: one of day-of-month and day-of-week must be '?'")
    ranges: tuple[tuple[int, int, dict[str, int]], ...] = (
        (0, 59, {}),
        (0, 23, {}),
        (1, 31, {}),
        (1, 12, _MONTHS),
        (1, 7, _DAYS),
        (1970, 2199, {}),
    )
    fields = tuple(
        _field(part, low, high, names, expression)
        for part, (low, high, names) in zip(parts, ranges, strict=True)
    )
    return Schedule(text, fields=fields, zone=zone)


def _field(text: str, low: int, high: int, names: dict[str, int], expression: str) -> frozenset[int] | None:
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for piece in text.split(","):
        step = 1
        if "/" in piece:
            piece, step_text = piece.split("/", 1)
            step = _number(step_text, {}, expression)
        if piece in ("*", ""):
            start, end = low, high
        elif "-" in piece:
            first, last = piece.split("-", 1)
            start, end = _number(first, names, expression), _number(last, names, expression)
        else:
            start = _number(piece, names, expression)
            end = high if step != 1 else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"{expression}: {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, names: dict[str, int], expression: str) -> int:
    upper = text.strip().upper()
    if upper in names:
        return names[upper]
    if not upper.isdigit() and any(mark in upper for mark in ("L", "W", "#")):
        raise ScheduleError(f"{expression}: {text!r}: L, W and # are not supported locally")
    if not upper.isdigit():
        raise ScheduleError(f"{expression}: {text!r} is not a number" + (" or a name" if names else ""))
    return int(upper)


def _next_cron(fields: tuple[frozenset[int] | None, ...], when: dt.datetime) -> dt.datetime | None:
    """The first matching minute after ``when`` (in the schedule's zone), in that zone."""
    minutes, hours, doms, months, dows, years = fields
    start = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    day = start.date()
    for _ in range(_SEARCH_DAYS):
        aws_dow = (day.isoweekday() % 7) + 1  # Sunday = 1
        if (
            (years is None or day.year in years)
            and (months is None or day.month in months)
            and (doms is None or day.day in doms)
            and (dows is None or aws_dow in dows)
        ):
            first_hour = start.hour if day == start.date() else 0
            for hour in range(first_hour, 24):
                if hours is not None and hour not in hours:
                    continue
                first_minute = start.minute if (day == start.date() and hour == start.hour) else 0
                for minute in range(first_minute, 60):
                    if minutes is None or minute in minutes:
                        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=when.tzinfo)
        day += dt.timedelta(days=1)
    return None
