"""Patches of orderflow.runtime.moto.cloudwatch: the gap in plain moto (strict xfail) and the patched
behaviour, for ``cloudwatch_alarm_state``, ``cloudwatch_extended_statistics`` and
``cloudwatch_list_metrics_once``.

- PutMetricAlarm: "When this operation creates an alarm, the alarm state is immediately set to
  INSUFFICIENT_DATA"; an update leaves the state unchanged
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
- Statistics: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html
- ListMetrics lists each metric once
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import client, gap

NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=2)
WINDOW = {"StartTime": NOW - dt.timedelta(minutes=5), "EndTime": NOW + dt.timedelta(minutes=5)}
METRIC = {"Namespace": "Svc", "MetricName": "Duration", "Dimensions": [{"Name": "F", "Value": "x"}]}


def put_durations(cloudwatch: Any) -> None:
    """The values 1..100 in one period, and one period published only as StatisticValues."""
    data = [
        {"MetricName": "Duration", "Dimensions": METRIC["Dimensions"], "Value": float(v), "Timestamp": NOW}
        for v in range(1, 101)
    ]
    for start in range(0, len(data), 50):
        cloudwatch.put_metric_data(Namespace="Svc", MetricData=data[start : start + 50])


# ------------------------------------------------------------------------- cloudwatch_alarm_state


def check_alarm_state() -> None:
    cloudwatch = client("cloudwatch")
    alarm = {
        "AlarmName": "a",
        "Namespace": "Svc",
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    cloudwatch.put_metric_alarm(**alarm)
    [created] = cloudwatch.describe_alarms(AlarmNames=["a"])["MetricAlarms"]
    assert (created["StateValue"], created["StateReason"]) == (
        "INSUFFICIENT_DATA",
        "Unchecked: Initial alarm creation",
    )
    cloudwatch.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="evaluated")
    cloudwatch.put_metric_alarm(**{**alarm, "Threshold": 2})
    [updated] = cloudwatch.describe_alarms(AlarmNames=["a"])["MetricAlarms"]
    assert (updated["StateValue"], updated["StateReason"], updated["Threshold"]) == ("ALARM", "evaluated", 2)


@gap("cloudwatch_alarm_state")
def test_cloudwatch_alarm_state_gap_in_plain_moto(moto_aws: None) -> None:
    check_alarm_state()


def test_cloudwatch_alarm_state_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("cloudwatch_alarm_state"):
        check_alarm_state()


# ----------------------------------------------------------------- cloudwatch_extended_statistics


def check_get_metric_data_percentiles() -> None:
    cloudwatch = client("cloudwatch")
    put_durations(cloudwatch)
    answers = {}
    for stat in ("p99", "p50", "tm90", "IQM", "Average"):
        query = {"Id": "q", "MetricStat": {"Metric": METRIC, "Period": 60, "Stat": stat}}
        [result] = cloudwatch.get_metric_data(MetricDataQueries=[query], **WINDOW)["MetricDataResults"]
        answers[stat] = result["Values"]
    assert answers == {"p99": [99.0], "p50": [50.0], "tm90": [45.5], "IQM": [50.5], "Average": [50.5]}


def check_get_metric_statistics_extended() -> None:
    cloudwatch = client("cloudwatch")
    put_durations(cloudwatch)
    [point] = cloudwatch.get_metric_statistics(
        **METRIC, Period=600, ExtendedStatistics=["p99", "p90", "PR(:10)"], Statistics=["Maximum"], **WINDOW
    )["Datapoints"]
    assert point["Maximum"] == 100.0
    assert point.get("ExtendedStatistics") == {"p99": 99.0, "p90": 90.0, "PR(:10)": 10.0}, point


def check_percentile_of_statistic_sets_is_no_datapoint() -> None:
    cloudwatch = client("cloudwatch")
    stats = {"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2}
    cloudwatch.put_metric_data(
        Namespace="Svc",
        MetricData=[{"MetricName": "Set", "StatisticValues": stats, "Timestamp": NOW}],
    )
    query = {
        "Id": "q",
        "MetricStat": {"Metric": {"Namespace": "Svc", "MetricName": "Set"}, "Period": 60, "Stat": "p99"},
    }
    [result] = cloudwatch.get_metric_data(MetricDataQueries=[query], **WINDOW)["MetricDataResults"]
    assert result["Values"] == [] and result["Timestamps"] == []


@gap("cloudwatch_extended_statistics")
def test_cloudwatch_extended_statistics_gap_in_plain_moto(moto_aws: None) -> None:
    try:
        check_get_metric_data_percentiles()
    except TypeError as exc:  # in-process the serializer's TypeError is what the wire sees as a 500
        raise AssertionError(exc) from exc


@gap("cloudwatch_extended_statistics")
def test_statistics_ignored_in_plain_moto(moto_aws: None) -> None:
    check_get_metric_statistics_extended()


@pytest.mark.parametrize(
    "check",
    [
        check_get_metric_data_percentiles,
        check_get_metric_statistics_extended,
        check_percentile_of_statistic_sets_is_no_datapoint,
    ],
)
def test_cloudwatch_extended_statistics_patched(moto_aws: None, check: Any) -> None:
    with REGISTRY.enabled("cloudwatch_extended_statistics"):
        check()


# ---------------------------------------------------------------------- cloudwatch_list_metrics_once


def check_list_metrics_once() -> None:
    cloudwatch = client("cloudwatch")
    for _ in range(3):
        cloudwatch.put_metric_data(
            Namespace="Svc",
            MetricData=[
                {"MetricName": "Plain", "Value": 1.0},
                {"MetricName": "Dim", "Value": 1.0, "Dimensions": [{"Name": "F", "Value": "x"}]},
                {"MetricName": "Dim", "Value": 1.0, "Dimensions": [{"Name": "F", "Value": "y"}]},
            ],
        )
    listed = cloudwatch.list_metrics(Namespace="Svc")["Metrics"]
    shown = sorted((m["MetricName"], tuple(d["Value"] for d in m.get("Dimensions", []))) for m in listed)
    assert shown == [("Dim", ("x",)), ("Dim", ("y",)), ("Plain", ())]
    assert (
        len(
            cloudwatch.list_metrics(
                Namespace="Svc", MetricName="Dim", Dimensions=[{"Name": "F", "Value": "y"}]
            )["Metrics"]
        )
        == 1
    )


@gap("cloudwatch_list_metrics_once")
def test_cloudwatch_list_metrics_once_gap_in_plain_moto(moto_aws: None) -> None:
    check_list_metrics_once()


def test_cloudwatch_list_metrics_once_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("cloudwatch_list_metrics_once"):
        check_list_metrics_once()
