"""Schedules that fire: EventBridge rules with a ``ScheduleExpression`` (SAM ``Schedule`` events)
and EventBridge Scheduler schedules (SAM ``ScheduleV2`` events, ``AWS::Scheduler::Schedule``).

Each enabled scheduled rule (read from the embedded AWS at every tick, so rules created while the
stack runs count too) keeps a cursor in *schedule time*: the time of its next firing by its
expression (:mod:`.schedule_expr`; ``rate()`` counts from when the runtime first saw the rule, as
AWS counts from the rule's creation; ``cron()`` in UTC). Real time between two firings is the
schedule-time gap multiplied by ``time_scale`` (``orderflow up --time-scale``: 0.001 makes a
``rate(1 hour)`` fire every 3.6 s), never less than :data:`MIN_PERIOD_S` (so a time scale of 0 fires
each schedule once a second, not in a loop). The event's ``time`` is the schedule time.

:meth:`Scheduler.tick` fires whatever is due at ``now`` (``clock()`` by default) and is what the
background thread calls; tests call it with their own ``now`` instead of waiting (stop the thread
first with :meth:`Scheduler.stop`, or never start it).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .schedule_expr import Schedule, ScheduleError, parse

log = logging.getLogger("orderflow.runtime")

MIN_PERIOD_S = 1.0  # real seconds between two firings of one schedule, at least
MAX_WAIT_S = 1.0  # the thread looks for new or changed rules at least this often

# (rule or schedule ARN, name, expression[, time zone]): scheduled rules and Scheduler schedules
Rules = Callable[[], list[tuple[str, ...]]]
Fire = Callable[[str, dt.datetime], None]


@dataclass
class _Cursor:
    schedule: Schedule
    at: dt.datetime  # schedule time of the next firing
    due: float  # real (clock) time of the next firing


class Scheduler:
    def __init__(
        self,
        rules: Rules,
        fire: Fire,
        *,
        time_scale: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rules = rules
        self._fire = fire
        self.time_scale = 1.0 if time_scale is None else float(time_scale)
        self.clock = clock
        self._cursors: dict[tuple[str, str], _Cursor | None] = {}  # None: a bad expression (said once)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired: list[tuple[str, dt.datetime]] = []  # (rule ARN, schedule time), in order

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                next_due = self.tick()
            except Exception:  # a bad rule must not end the schedules of the others
                log.exception("schedules: tick failed")
                next_due = None
            wait = MAX_WAIT_S if next_due is None else min(MAX_WAIT_S, max(0.0, next_due - self.clock()))
            self._stopping.wait(wait)

    def _real_gap(self, start: dt.datetime, end: dt.datetime) -> float:
        return max((end - start).total_seconds() * self.time_scale, MIN_PERIOD_S)

    def tick(self, now: float | None = None) -> float | None:
        """Fire every schedule due at ``now`` (once each: a late one does not catch up); the real
        time the next one is due (None: none)."""
        with self._lock:
            now = self.clock() if now is None else now
            seen = set()
            for entry in self._rules():
                arn, name, expression = entry[:3]
                zone = entry[3] if len(entry) > 3 else "UTC"
                key = (arn, f"{expression} {zone}")
                seen.add(key)
                if key not in self._cursors:
                    self._cursors[key] = self._cursor(name, expression, zone, now)
                cursor = self._cursors[key]
                if cursor is None or cursor.due > now:
                    continue
                fired_at = cursor.at
                following = cursor.schedule.next_after(fired_at)
                if following is None:
                    self._cursors[key] = None
                else:
                    cursor.due, cursor.at = now + self._real_gap(fired_at, following), following
                self.fired.append((arn, fired_at))
                try:
                    self._fire(arn, fired_at)
                except Exception as exc:
                    log.warning("schedule of rule %s did not fire: %s", name, " ".join(str(exc).split()))
            for key in set(self._cursors) - seen:  # deleted, disabled or changed rules
                del self._cursors[key]
            dues = [c.due for c in self._cursors.values() if c is not None]
            return min(dues) if dues else None

    def _cursor(self, name: str, expression: str, zone: str, now: float) -> _Cursor | None:
        try:
            schedule = parse(expression, zone)
        except ScheduleError as exc:
            log.warning("rule %s: schedule %s", name, exc)
            return None
        start = dt.datetime.fromtimestamp(now, dt.UTC)
        at = schedule.next_after(start)
        if at is None:
            return None
        return _Cursor(schedule, at, now + self._real_gap(start, at))
