"""A dashboard body as the console draws it, without an embedded AWS: the grid, metric rows with their
shorthands, metric math over the fetched series, a metric with no data, alarms and placeholders."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from orderflow.console.dashboards import DashboardError, build, metric_rows

NOW = 1_767_225_630  # 2026-01-01T00:00:30Z
MINUTE = 60


class FakeCloudWatch:
    def __init__(self, data: dict[str, dict[int, float]], alarms: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.known_alarms = alarms
        self.asked: list[tuple[list[dict[str, Any]], int, int]] = []

    def fetch(self, queries: list[dict[str, Any]], start: int, end: int) -> Mapping[str, Mapping[int, float]]:
        self.asked.append((queries, start, end))
        return {q["Id"]: self.data[q["Id"]] for q in queries if q["Id"] in self.data}

    def alarms(self, names: list[str]) -> Mapping[str, Mapping[str, Any]]:
        return {n: self.known_alarms[n] for n in names if n in self.known_alarms}


END = (NOW // MINUTE + 1) * MINUTE  # the widget's grid ends after the current minute
LAST, BEFORE = END - MINUTE, END - 2 * MINUTE

BODY = {
    "widgets": [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 2,
            "properties": {"markdown": "## <b>hi</b>"},
        },
        {
            "type": "metric",
            "x": 0,
            "y": 2,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "Outcomes",
                "period": 60,
                "stat": "Sum",
                "metrics": [
                    [
                        "AWS/States",
                        "ExecutionsSucceeded",
                        "StateMachineArn",
                        "arn:sm",
                        {"id": "ok", "visible": False},
                    ],
                    [
                        "...",
                        "ExecutionsFailed",
                        "StateMachineArn",
                        "arn:sm",
                        {"id": "failed", "visible": False},
                    ],
                    ["app", "Rejections", "Reason", "Missing", {"id": "rejected", "label": "Rejected"}],
                    [
                        {
                            "expression": "FILL(ok, 0) - FILL(rejected, 0)",
                            "id": "confirmed",
                            "label": "CONFIRMED",
                        }
                    ],
                    [{"expression": "half * 4", "id": "doubled"}],  # uses an expression below it
                    [{"expression": "FILL(failed, 0) / 2", "id": "half", "visible": False}],
                    [{"expression": "RATE(ok)", "id": "rate"}],
                    [
                        "AWS/States",
                        "ExecutionTime",
                        "StateMachineArn",
                        "arn:sm",
                        {"stat": "p99", "label": "p99"},
                    ],
                    ["...", {"stat": "Median", "label": "median"}],
                ],
            },
        },
        {
            "type": "alarm",
            "x": 12,
            "y": 2,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "Alarms",
                "alarms": ["arn:aws:cloudwatch:us-east-1:1:alarm:Errors", "Gone"],
            },
        },
        {"type": "log", "x": 0, "y": 8, "width": 24, "height": 6, "properties": {"title": "Logs"}},
        {"type": "metric", "width": 6, "properties": {"view": "singleValue", "metrics": []}},
    ]
}


def drawn() -> tuple[list[dict[str, Any]], FakeCloudWatch]:
    cloudwatch = FakeCloudWatch(
        {"ok": {BEFORE: 3.0, LAST: 5.0}, "failed": {LAST: 1.0}, "m7": {LAST: 812.5}},
        {"Errors": {"state": "ALARM", "reason": "1 datapoint", "updated": None}},
    )
    widgets = build(json.dumps(BODY), cloudwatch.fetch, cloudwatch.alarms, now=NOW, minutes=5)
    return widgets, cloudwatch


def test_widgets_keep_their_grid_places_and_unplaced_ones_go_below() -> None:
    widgets, _ = drawn()
    places = [(w["type"], w["x"], w["y"], w["width"], w["height"]) for w in widgets]
    assert places == [
        ("text", 0, 0, 24, 2),
        ("metric", 0, 2, 12, 6),
        ("alarm", 12, 2, 12, 6),
        ("log", 0, 8, 24, 6),
        ("metric", 0, 14, 6, 6),
    ]
    assert widgets[0]["text"] == "## <b>hi</b>"  # as written: the page sets it as text, never HTML
    assert [w["supported"] for w in widgets] == [True, True, True, False, False]
    assert widgets[3]["notice"] == "log widget: not drawn by the local console"
    assert widgets[4]["notice"] == "metric widget (view singleValue): not drawn by the local console"


def test_metric_rows_are_fetched_and_expressions_evaluated_over_the_period_grid() -> None:
    widgets, cloudwatch = drawn()
    [(queries, start, end)] = cloudwatch.asked
    assert (start, end) == (END - 5 * MINUTE, END)
    # p99 is asked (the embedded CloudWatch computes percentiles); "Median" is no CloudWatch statistic
    assert [q["Id"] for q in queries] == ["ok", "failed", "rejected", "m7"]
    assert queries[3]["MetricStat"]["Stat"] == "p99"
    assert queries[1]["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/States",
            "MetricName": "ExecutionsFailed",
            "Dimensions": [{"Name": "StateMachineArn", "Value": "arn:sm"}],
        },
        "Period": 60,
        "Stat": "Sum",
    }
    series = {s["id"]: s for s in widgets[1]["series"]}
    assert set(series) == {"rejected", "confirmed", "doubled", "rate", "m7", "m8"}  # hidden rows not drawn
    assert series["rejected"]["points"] == []  # a metric without data: drawn as nothing, no error
    assert series["rejected"]["label"] == "Rejected"
    assert series["confirmed"]["points"] == [[t, 0.0] for t in range(start, BEFORE, MINUTE)] + [
        [BEFORE, 3.0],
        [LAST, 5.0],
    ]
    assert series["doubled"]["points"][-1] == [LAST, 2.0]
    assert series["rate"]["points"] == []
    assert "RATE is not supported locally" in series["rate"]["notice"]
    assert series["m7"]["points"] == [[LAST, 812.5]] and series["m7"]["notice"] is None
    assert series["m8"]["notice"] == "Median is not a CloudWatch statistic"


def test_alarm_widgets_show_each_alarms_state_and_a_missing_one() -> None:
    widgets, _ = drawn()
    assert widgets[2]["alarms"] == [
        {"name": "Errors", "state": "ALARM", "reason": "1 datapoint", "updated": None},
        {"name": "Gone", "state": None, "missing": True},
    ]


def test_metric_shorthands_are_spelled_out() -> None:
    rows, notices = metric_rows(
        {
            "metrics": [
                ["AWS/Lambda", "Errors", "FunctionName", "a", {"stat": "Sum"}],
                ["...", "b"],
                [".", "Throttles", ".", "c"],
                ["lonely"],
                "nonsense",
            ]
        }
    )
    assert [(r.namespace, r.name, r.dimensions, r.stat) for r in rows] == [
        ("AWS/Lambda", "Errors", {"FunctionName": "a"}, "Sum"),
        ("AWS/Lambda", "Errors", {"FunctionName": "b"}, "Average"),
        ("AWS/Lambda", "Throttles", {"FunctionName": "c"}, "Average"),
    ]
    assert notices == [
        "metrics[3] is not [namespace, name, dimension, value, ...]",
        "metrics[4] is not a metric array",
    ]


def test_a_body_that_is_no_dashboard_is_an_error() -> None:
    with pytest.raises(DashboardError):
        build("{nope", dashboards_fetch_nothing, lambda names: {}, now=NOW)
    with pytest.raises(DashboardError):
        build('{"widgets": 3}', dashboards_fetch_nothing, lambda names: {}, now=NOW)


def dashboards_fetch_nothing(queries: list[dict[str, Any]], start: int, end: int) -> dict[str, Any]:
    return {}
