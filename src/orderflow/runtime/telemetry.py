"""CloudWatch, locally: function logs to log groups, metrics, and the template's alarms evaluated.

Generic (nothing here knows the application) and outside moto's internals: everything reaches the
embedded CloudWatch and CloudWatch Logs through their public APIs (boto3 clients of the embedded AWS).

- :class:`Telemetry` collects, on the hot paths, only appends to in-memory buffers under a lock:
  function log lines (one CloudWatch Logs event per line, in the function's log group
  ``/aws/lambda/<name>`` and its worker's log stream ``YYYY/MM/DD/[$LATEST]<hex>``), metric data
  points (Lambda's own, Step Functions' own, and the embedded-metric-format lines functions print).
  One background thread ships them in batches (PutLogEvents, PutMetricData) every
  ``flush_interval`` seconds (1 s), and evaluates the alarms every ``tick_interval`` seconds. The
  runtime ships through ``orderflow.runtime.moto.cloudwatch.DirectWriter`` (the same backend calls,
  no HTTP round trip in the process that runs the executions); :class:`ApiWriter` is the public API.
- :class:`AlarmEvaluator` evaluates every alarm of the embedded CloudWatch (DescribeAlarms) against
  the data points recorded here: a single metric or metric math (``FILL``, ``+ - * /``, numbers,
  parentheses, ``SUM/MIN/MAX/AVG([...])``; anything else leaves the alarm in INSUFFICIENT_DATA with a
  reason that says so). ``M out of N`` datapoints, the four ``TreatMissingData`` policies, the six
  comparison operators. A state change goes through SetAlarmState, so DescribeAlarms shows it with
  its StateReason and StateUpdatedTimestamp. ``time_scale`` shortens each Period (as ``--time-scale``
  shortens Wait/Retry), and ``tick(now)`` takes the clock from the caller, so tests need no sleeps.
- :func:`parse_emf` reads one embedded-metric-format line (the ``_aws.CloudWatchMetrics`` directive).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from orderflow.metric_math import Series, UnsupportedExpression, evaluate_expression, extended_statistic

log = logging.getLogger("orderflow.runtime")

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]  # namespace, name, dimensions


@dataclass(frozen=True)
class Datum:
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    value: float
    unit: str
    timestamp: float  # epoch seconds

    @property
    def key(self) -> MetricKey:
        return (self.namespace, self.name, self.dimensions)


def datum(
    namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str = "None", at: float = 0.0
) -> Datum:
    return Datum(namespace, name, frozenset(dimensions.items()), float(value), unit, at or time.time())


# ------------------------------------------------------------------------------ embedded metric format


def parse_emf(line: str) -> list[Datum]:
    """The metric data of one embedded-metric-format line (empty when it is none)."""
    if '"_aws"' not in line:
        return []
    try:
        document = json.loads(line)
        directive = document["_aws"]
        stamp = float(directive.get("Timestamp", time.time() * 1000)) / 1000
        data: list[Datum] = []
        for block in directive.get("CloudWatchMetrics") or []:
            namespace = str(block["Namespace"])
            for dimension_set in block.get("Dimensions") or [[]]:
                dimensions = {str(d): str(document[d]) for d in dimension_set}
                for metric in block.get("Metrics") or []:
                    name = str(metric["Name"])
                    values = document.get(name)
                    for value in values if isinstance(values, list) else [values]:
                        if isinstance(value, int | float) and not isinstance(value, bool):
                            data.append(
                                datum(
                                    namespace, name, dimensions, value, str(metric.get("Unit", "None")), stamp
                                )
                            )
        return data
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


# ---------------------------------------------------------------------------------------- alarms

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_WORDS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


def _statistic(values: list[float], stat: str) -> float | None:
    if not values:
        return None
    if stat == "Sum":
        return sum(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Maximum":
        return max(values)
    if stat == "SampleCount":
        return float(len(values))
    return extended_statistic(values, stat)  # pNN, tmNN, IQM, ... (UnsupportedExpression: no such)


class MetricStore:
    """The data points of every metric, in memory, for the alarms (pruned as they age out)."""

    def __init__(self) -> None:
        self._points: dict[MetricKey, list[tuple[float, float]]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(self, data: Iterable[Datum]) -> None:
        with self._lock:
            for d in data:
                self._points[d.key].append((d.timestamp, d.value))

    def values(self, key: MetricKey, start: float, end: float) -> list[float]:
        with self._lock:
            return [value for stamp, value in self._points.get(key, ()) if start <= stamp < end]

    def prune(self, before: float) -> None:
        with self._lock:
            for key in list(self._points):
                kept = [p for p in self._points[key] if p[0] >= before]
                if kept:
                    self._points[key] = kept
                else:
                    del self._points[key]


def _key(metric: dict[str, Any]) -> MetricKey:
    dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions") or [])
    return (metric["Namespace"], metric["MetricName"], dimensions)


class AlarmEvaluator:
    """Evaluates the alarms of the embedded CloudWatch against a :class:`MetricStore`."""

    def __init__(self, cloudwatch: Any, store: MetricStore, time_scale: float = 1.0):
        self._cloudwatch = cloudwatch
        self._store = store
        self.time_scale = time_scale if time_scale and time_scale > 0 else 1.0
        self._warned: set[str] = set()
        self.longest_window = 300.0

    def tick(self, now: float | None = None) -> dict[str, str]:
        """Evaluate every alarm at ``now`` (epoch seconds; default: the clock); returns name -> state
        of the alarms whose state changed."""
        now = time.time() if now is None else now
        changed: dict[str, str] = {}
        pages = self._cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        longest = 300.0
        for page in pages:
            for alarm in page.get("MetricAlarms", []):
                state, reason, data = self._evaluate(alarm, now)
                window = float(alarm.get("Period") or 60) * int(alarm.get("EvaluationPeriods") or 1)
                longest = max(longest, window * self.time_scale)
                if state is None or state == alarm.get("StateValue"):
                    continue
                self._cloudwatch.set_alarm_state(
                    AlarmName=alarm["AlarmName"],
                    StateValue=state,
                    StateReason=reason[:1023],
                    StateReasonData=json.dumps(data),
                )
                changed[alarm["AlarmName"]] = state
                log.info("alarm %s: %s (%s)", alarm["AlarmName"], state, reason)
        self.longest_window = longest
        return changed

    def _series(self, alarm: dict[str, Any], now: float, periods: int) -> tuple[Series, float, str]:
        """The alarm's datapoints, oldest first, one per (scaled) period ending at ``now``."""
        queries = alarm.get("Metrics")
        if not queries:
            period = float(alarm.get("Period") or 60)
            stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average"
            return self._stat_series(_key(alarm), stat, period, now, periods), period, alarm["MetricName"]
        period = float(alarm.get("Period") or 0)
        series: dict[str, Series] = {}
        for query in queries:
            stat = query.get("MetricStat")
            if stat:
                period = period or float(stat.get("Period") or 60)
        period = period or 60.0
        for query in queries:
            stat = query.get("MetricStat")
            if stat:
                series[query["Id"]] = self._stat_series(
                    _key(stat["Metric"]), stat["Stat"], period, now, periods
                )
        for query in queries:
            if query.get("Expression"):
                series[query["Id"]] = evaluate_expression(query["Expression"], series, periods)
        returned = [q for q in queries if q.get("ReturnData", True)]
        if len(returned) != 1:
            raise UnsupportedExpression("the alarm's Metrics must return exactly one series")
        query = returned[0]
        return series[query["Id"]], period, query.get("Label") or query.get("Expression") or query["Id"]

    def _stat_series(self, key: MetricKey, stat: str, period: float, now: float, periods: int) -> Series:
        length = period * self.time_scale
        out: Series = []
        for k in range(periods, 0, -1):
            end = now - (k - 1) * length
            out.append(_statistic(self._store.values(key, end - length, end), stat))
        return out

    def _evaluate(self, alarm: dict[str, Any], now: float) -> tuple[str | None, str, dict[str, Any]]:
        name = alarm["AlarmName"]
        periods = int(alarm.get("EvaluationPeriods") or 1)
        needed = int(alarm.get("DatapointsToAlarm") or periods)
        operator = alarm.get("ComparisonOperator", "")
        threshold = float(alarm.get("Threshold") or 0)
        try:
            if operator not in _COMPARE:
                raise UnsupportedExpression(f"comparison {operator or '(none)'} is not supported locally")
            series, period, label = self._series(alarm, now, periods)
        except (UnsupportedExpression, KeyError) as exc:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("alarm %s is not evaluated locally: %s", name, exc)
            return "INSUFFICIENT_DATA", f"not evaluated locally: {exc}", {"version": "1.0"}
        treat = alarm.get("TreatMissingData") or "missing"
        compare = _COMPARE[operator]
        present = [v for v in series if v is not None]
        breaching = sum(1 for v in present if compare(v, threshold))
        if treat == "breaching":
            breaching += len(series) - len(present)
        data = {
            "version": "1.0",
            "queryDate": _iso(now),
            "period": int(period),
            "threshold": threshold,
            "recentDatapoints": present,
        }
        if not present and treat in ("missing", "ignore"):
            if treat == "ignore":
                return None, "", data
            reason = f"Insufficient Data: {len(series)} datapoint(s) were unknown."
            return "INSUFFICIENT_DATA", reason, data
        shown = ", ".join(f"{v:g}" for v in present) or "none"
        words = _WORDS[operator]
        if breaching >= needed:
            reason = (
                f"Threshold Crossed: {breaching} out of the last {len(series)} datapoints of {label} "
                f"[{shown}] were {words} the threshold ({threshold:g})."
            )
            return "ALARM", reason, data
        reason = (
            f"Threshold Crossed: no {needed} out of the last {len(series)} datapoints of {label} "
            f"[{shown}] were {words} the threshold ({threshold:g})."
        )
        return "OK", reason, data


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------------------------------- shipping


class Writer(Protocol):
    """Where Telemetry ships to: the embedded CloudWatch Logs and CloudWatch."""

    def ensure_log_stream(self, group: str, stream: str) -> None: ...

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None: ...

    def put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None: ...


class ApiWriter:
    """A :class:`Writer` through the public API (boto3 clients of the embedded AWS)."""

    def __init__(self, client: Callable[[str], Any]):
        self._logs = client("logs")
        self._cloudwatch = client("cloudwatch")

    def ensure_log_stream(self, group: str, stream: str) -> None:
        exists = self._logs.exceptions.ResourceAlreadyExistsException
        with contextlib.suppress(exists):  # a group the template declares keeps its retention
            self._logs.create_log_group(logGroupName=group)
        with contextlib.suppress(exists):
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None:
        self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)


class Telemetry:
    """Buffers log events and metric data, ships them to the embedded CloudWatch in batches, and
    evaluates the alarms. ``client(service)`` builds boto3 clients of the embedded AWS (the alarms are
    read and set through it); ``writer`` ships (default: an :class:`ApiWriter` on those clients)."""

    MAX_LOG_BATCH = 5000  # PutLogEvents takes at most 10,000 events and 1 MB
    MAX_LOG_BYTES = 900_000
    MAX_METRIC_BATCH = 500  # PutMetricData takes at most 1,000 datums

    def __init__(
        self,
        client: Callable[[str], Any],
        *,
        time_scale: float | None = None,
        flush_interval: float = 1.0,
        tick_interval: float | None = None,
        writer: Callable[[], Writer] | None = None,
        guard: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    ):
        self._client = client
        self._make_writer = writer
        self._guard = guard or contextlib.nullcontext
        self.store = MetricStore()
        self._lock = threading.Lock()
        self._logs: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self._metrics: list[Datum] = []
        self._known_streams: set[tuple[str, str]] = set()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.flush_interval = flush_interval
        scale = time_scale if time_scale and time_scale > 0 else 1.0
        # Alarms are evaluated once a (scaled) minute by default, at least every 10 s of real time.
        self.tick_interval = tick_interval if tick_interval is not None else min(10.0, 60 * scale / 2)
        self._writer: Writer | None = None
        self._cw_client: Any = None
        self.evaluator: AlarmEvaluator | None = None
        self._time_scale = scale
        self._last_tick = 0.0
        self._driven = False
        self._tick_lock = threading.Lock()
        # Called with the clock before each flush (background) and each evaluation: metrics a service
        # samples on its own period (SQS queue depths, see service_metrics.ServiceMetrics.sample).
        # A sampler is called as sampler(now, explicit): explicit for an evaluation at a caller's clock
        # (a test's tick samples then, whatever the period).
        self._samplers: list[Callable[[float, bool], Any]] = []

    def add_sampler(self, sampler: Callable[[float, bool], Any]) -> None:
        self._samplers.append(sampler)

    def _sample(self, now: float, explicit: bool = False) -> None:
        for sampler in self._samplers:
            try:
                sampler(now, explicit)
            except Exception:  # a sampler must not stop shipping or the alarms
                log.debug("metric sampler failed", exc_info=True)

    # ---------------------------------------------------------------------- collecting (hot paths)

    def log_line(self, group: str, stream: str, message: str, at: float | None = None) -> None:
        stamp = int((time.time() if at is None else at) * 1000)
        with self._lock:
            self._logs[(group, stream)].append((stamp, message))

    def metric(self, data: Iterable[Datum]) -> None:
        data = list(data)
        if not data:
            return
        self.store.add(data)
        with self._lock:
            self._metrics.extend(data)

    # --------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._cw_client = self._client("cloudwatch")
        self._writer = self._make_writer() if self._make_writer else ApiWriter(self._client)
        self.evaluator = AlarmEvaluator(self._cw_client, self.store, self._time_scale)
        self._last_tick = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            self.flush()
        except Exception:  # the embedded AWS is already gone
            log.debug("final telemetry flush failed", exc_info=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if not self._driven:
                    self._sample(time.time())
                self.flush()
                if not self._driven and time.monotonic() - self._last_tick >= self.tick_interval:
                    self._last_tick = time.monotonic()
                    self._tick(None)
            except Exception:  # keep shipping: one bad batch must not end the thread
                log.debug("telemetry flush failed", exc_info=True)

    def tick(self, now: float | None = None) -> dict[str, str]:
        """Ship what is buffered, then evaluate the alarms at ``now``. A caller that passes ``now``
        drives the alarms' clock from then on: the background evaluation stops (a test's explicit
        ticks are never interleaved with the real clock's)."""
        if now is not None:
            self._driven = True
        return self._tick(now)

    def _tick(self, now: float | None) -> dict[str, str]:
        with self._tick_lock:
            return self._evaluate(now)

    def _evaluate(self, now: float | None) -> dict[str, str]:
        self._sample(time.time() if now is None else now, explicit=now is not None)
        self.flush()
        if self.evaluator is None:
            return {}
        changed = self.evaluator.tick(now)
        self.store.prune((time.time() if now is None else now) - 2 * self.evaluator.longest_window)
        return changed

    # ------------------------------------------------------------------------------------ shipping

    def flush(self) -> None:
        """Ship every buffered log event and data point now (thread-safe; returns when shipped)."""
        with self._flush_lock:
            if self._writer is None:  # not started: keep the buffers for the first flush
                return
            with self._lock:
                logs, self._logs = self._logs, defaultdict(list)
                metrics, self._metrics = self._metrics, []
            if not (logs or metrics):
                return
            with self._guard():
                for (group, stream), events in logs.items():
                    self._put_logs(group, stream, events)
                self._put_metrics(metrics)

    def _put_logs(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        assert self._writer is not None
        if (group, stream) not in self._known_streams:
            self._writer.ensure_log_stream(group, stream)
            self._known_streams.add((group, stream))
        events.sort(key=lambda e: e[0])
        batch: list[dict[str, Any]] = []
        size = 0
        for stamp, message in events:
            message = message or " "
            if batch and (len(batch) >= self.MAX_LOG_BATCH or size + len(message) > self.MAX_LOG_BYTES):
                self._writer.put_log_events(group, stream, batch)
                batch, size = [], 0
            batch.append({"timestamp": stamp, "message": message[:200_000]})
            size += len(message) + 26
        if batch:
            self._writer.put_log_events(group, stream, batch)

    def _put_metrics(self, data: list[Datum]) -> None:
        by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in data:
            by_namespace[d.namespace].append(
                {
                    "MetricName": d.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(d.dimensions)],
                    "Value": d.value if math.isfinite(d.value) else 0.0,
                    "Unit": d.unit,
                    "Timestamp": dt.datetime.fromtimestamp(d.timestamp, dt.UTC),
                }
            )
        for namespace, items in by_namespace.items():
            for start in range(0, len(items), self.MAX_METRIC_BATCH):
                assert self._writer is not None
                self._writer.put_metric_data(namespace, items[start : start + self.MAX_METRIC_BATCH])
