"""CloudWatch: three gaps of moto's CloudWatch closed, and a writer into it without an HTTP round trip.

Patches (see :data:`.registry.REGISTRY`):

- ``cloudwatch_alarm_state``: moto creates every alarm in state OK ("Unchecked: Initial alarm
  creation"). CloudWatch creates it in INSUFFICIENT_DATA and then evaluates it; PutMetricAlarm on an
  existing alarm leaves its state as it is (PutMetricAlarm, CloudWatch API Reference:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
- ``cloudwatch_extended_statistics``: GetMetricData with a percentile or another extended statistic
  (``p99``, ``tm90``, ``IQM``, ``PR(:300)`` ...) fails in moto (a None value it cannot serialize: HTTP
  500), and GetMetricStatistics ignores ``ExtendedStatistics``. Both answer them here from the recorded
  values (definitions: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html;
  a period whose values were all published as StatisticValues has no percentile, as on CloudWatch).
- ``cloudwatch_list_metrics_once``: ListMetrics lists a metric without dimensions once per data point;
  CloudWatch lists each metric (namespace, name, dimensions) once
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).

:class:`DirectWriter` is no patch (moto's behaviour is unchanged): the runtime's telemetry ships
function log lines and metric data every second, and going through botocore and moto's request
parsing, in the same process that runs the executions, cost more CPU than the writes themselves.
These call the same backend methods PutLogEvents, CreateLogGroup/Stream and PutMetricData call,
with what their request parsing would hand them (``orderflow.runtime.telemetry.ApiWriter`` is the
same through the public API).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from moto.cloudwatch import models as cw_models
from moto.cloudwatch.exceptions import InvalidParameterCombination
from moto.cloudwatch.models import CloudWatchBackend, Statistics, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends

from orderflow.metric_math import STANDARD_STATISTICS, UnsupportedExpression, extended_statistic

from .registry import REGISTRY, Patch, Patcher


class DirectWriter:
    """The telemetry writer of one account and region (see ``orderflow.runtime.telemetry.Writer``)."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region

    def ensure_log_stream(self, group: str, stream: str) -> None:
        backend = logs_backends[self.account_id][self.region]
        with contextlib.suppress(ResourceAlreadyExistsException):
            # an existing group (declared by the template) keeps its retention
            backend.create_log_group(group, {})
        with contextlib.suppress(ResourceAlreadyExistsException):
            backend.create_log_stream(group, stream)

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        logs_backends[self.account_id][self.region].put_log_events(group, stream, events)

    def put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None:
        # PutMetricData's request parsing hands the backend naive UTC timestamps, and GetMetricData
        # compares its (naive) window with them: an aware one here would make that comparison raise.
        plain = [{**datum, "Timestamp": _naive_utc(datum.get("Timestamp"))} for datum in data]
        cloudwatch_backends[self.account_id][self.region].put_metric_data(namespace, plain)


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# ------------------------------------------------------------------------- cloudwatch_alarm_state

INITIAL_REASON = "Unchecked: Initial alarm creation"


def _apply_alarm_state(patcher: Patcher) -> None:
    original = CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        before = self.alarms.get(name)
        alarm = original(self, name, *args, **kwargs)
        if before is None:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = INITIAL_REASON
        else:  # an update keeps the alarm's state and its history
            alarm.state_value = before.state_value
            alarm.state_reason = before.state_reason
            alarm.state_reason_data = before.state_reason_data
            alarm.state_updated_timestamp = before.state_updated_timestamp
            alarm.history = before.history
        return alarm

    patcher.replace(CloudWatchBackend, "put_metric_alarm", put_metric_alarm)


CLOUDWATCH_ALARM_STATE = REGISTRY.register(
    Patch(
        "cloudwatch_alarm_state",
        "gap",
        "a new alarm starts OK (CloudWatch: INSUFFICIENT_DATA until evaluated) and an updated alarm "
        "loses its state",
        _apply_alarm_state,
    )
)

# ----------------------------------------------------------------- cloudwatch_extended_statistics


def _statistic_of(self: Statistics, stat: str, original: Callable[..., Any]) -> Any:
    if stat in STANDARD_STATISTICS:
        return original(self, stat)
    try:
        return extended_statistic(self.metric_single_values_list, stat)
    except UnsupportedExpression:
        return None


def _without_gaps(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A period with no value for the statistic is no datapoint (moto would send None)."""
    for result in results:
        pairs = [(t, v) for t, v in zip(result["timestamps"], result["values"], strict=True) if v is not None]
        result["timestamps"] = [t for t, _ in pairs]
        result["values"] = [v for _, v in pairs]
    return results


def _apply_extended_statistics(patcher: Patcher) -> None:
    original_stat = Statistics.get_statistics_for_type

    def get_statistics_for_type(self: Statistics, stat: str) -> Any:
        return _statistic_of(self, stat, original_stat)

    original_data = CloudWatchBackend.get_metric_data

    def get_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return _without_gaps(original_data(self, *args, **kwargs))

    def get_metric_statistics(self: CloudWatchResponse) -> ActionResult:
        statistics = self._get_param("Statistics", [])
        extended = self._get_param("ExtendedStatistics", [])
        if not statistics and not extended:
            raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
        datapoints = self.cloudwatch_backend.get_metric_statistics(
            self._get_param("Namespace"),
            self._get_param("MetricName"),
            self._get_param("StartTime"),
            self._get_param("EndTime"),
            self._get_int_param("Period"),
            statistics,
            unit=self._get_param("Unit"),
            dimensions=self._get_param("Dimensions", []),
        )
        for point in datapoints:
            values = {name: _statistic_of(point, name, original_stat) for name in extended}
            kept = {k: v for k, v in values.items() if v is not None}
            point.extended_statistics = kept or None  # type: ignore[attr-defined]
        return ActionResult({"Label": self._get_param("MetricName"), "Datapoints": datapoints})

    patcher.replace(Statistics, "get_statistics_for_type", get_statistics_for_type)
    patcher.replace(CloudWatchBackend, "get_metric_data", get_metric_data)
    patcher.replace(CloudWatchResponse, "get_metric_statistics", get_metric_statistics)


CLOUDWATCH_EXTENDED_STATISTICS = REGISTRY.register(
    Patch(
        "cloudwatch_extended_statistics",
        "gap",
        "GetMetricData with a percentile (p99, tm90, ...) answers 500 and GetMetricStatistics ignores "
        "ExtendedStatistics",
        _apply_extended_statistics,
    )
)

# ---------------------------------------------------------------------- cloudwatch_list_metrics_once


def _apply_list_metrics_once(patcher: Patcher) -> None:
    def get_filtered_metrics(
        self: CloudWatchBackend, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
    ) -> list[cw_models.MetricDatumBase]:
        seen: dict[tuple[str, str, frozenset[Any]], cw_models.MetricDatumBase] = {}
        for datum in self.get_all_metrics():
            key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
            if key not in seen and datum.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
                seen[key] = datum
        return list(seen.values())

    patcher.replace(CloudWatchBackend, "get_filtered_metrics", get_filtered_metrics)


CLOUDWATCH_LIST_METRICS_ONCE = REGISTRY.register(
    Patch(
        "cloudwatch_list_metrics_once",
        "gap",
        "ListMetrics lists a metric without dimensions once per data point (CloudWatch: once)",
        _apply_list_metrics_once,
    )
)
