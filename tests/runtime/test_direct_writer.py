"""The telemetry's direct writer stores what PutMetricData would: its points are readable through the
public GetMetricData (an aware timestamp stored as is made moto's window comparison raise)."""

from __future__ import annotations

import datetime as dt

import boto3
from moto import mock_aws

from orderflow.runtime.moto.cloudwatch import DirectWriter


def test_points_written_directly_are_read_by_get_metric_data() -> None:
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        at = dt.datetime(2026, 1, 1, 0, 0, 30, tzinfo=dt.UTC)
        DirectWriter("123456789012", "us-east-1").put_metric_data(
            "n", [{"MetricName": "m", "Value": 2.0, "Unit": "Count", "Timestamp": at}]
        )
        query = {
            "Id": "a",
            "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "m"}, "Period": 60, "Stat": "Sum"},
        }
        answer = client.get_metric_data(
            MetricDataQueries=[query],
            StartTime=at - dt.timedelta(seconds=30),
            EndTime=at + dt.timedelta(minutes=1),
        )
        [result] = answer["MetricDataResults"]
        assert result["Values"] == [2.0]
        assert result["Timestamps"][0].astimezone(dt.UTC) == at - dt.timedelta(seconds=30)
