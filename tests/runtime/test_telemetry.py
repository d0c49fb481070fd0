"""The pieces of CloudWatch-locally that need no embedded AWS: embedded metric format, metric math,
the alarm evaluator (with a fake CloudWatch and an explicit clock), the console filter, one-line outcomes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderflow.metric_math import UnsupportedExpression, evaluate_expression
from orderflow.runtime.lambdas import ConsoleFilter
from orderflow.runtime.patch_hooks import execution_outcome
from orderflow.runtime.telemetry import AlarmEvaluator, MetricStore, datum, parse_emf

NOW = 1_800_000_000.0


def test_parse_emf_reads_every_dimension_set_and_value() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "shop",
                        "Dimensions": [["service"], ["service", "FunctionName"]],
                        "Metrics": [{"Name": "Rejections", "Unit": "Count"}, {"Name": "Latency"}],
                    }
                ],
            },
            "service": "orders",
            "FunctionName": "fn",
            "Rejections": 1,
            "Latency": [3, 4],
        }
    )
    data = parse_emf(line)
    assert {(d.name, tuple(sorted(d.dimensions)), d.value, d.unit) for d in data} == {
        ("Rejections", (("service", "orders"),), 1.0, "Count"),
        ("Rejections", (("FunctionName", "fn"), ("service", "orders")), 1.0, "Count"),
        ("Latency", (("service", "orders"),), 3.0, "None"),
        ("Latency", (("service", "orders"),), 4.0, "None"),
        ("Latency", (("FunctionName", "fn"), ("service", "orders")), 3.0, "None"),
        ("Latency", (("FunctionName", "fn"), ("service", "orders")), 4.0, "None"),
    }
    assert {d.timestamp for d in data} == {1_700_000_000.0}
    assert parse_emf('{"message": "no metrics"}') == []
    assert parse_emf('{"_aws": broken') == []


def test_metric_math_fill_arithmetic_and_aggregates() -> None:
    series: dict[str, list[float | None]] = {"errors": [3.0, None, 1.0], "rejections": [None, None, 1.0]}
    assert evaluate_expression("FILL(errors, 0) - FILL(rejections, 0)", series, 3) == [3.0, 0.0, 0.0]
    assert evaluate_expression("errors - rejections", series, 3) == [None, None, 0.0]
    assert evaluate_expression("(errors + 1) * 2 / 4", series, 3) == [2.0, None, 1.0]
    assert evaluate_expression("SUM([errors, rejections])", series, 3) == [3.0, None, 2.0]
    assert evaluate_expression("-FILL(errors, 0)", series, 3) == [-3.0, -0.0, -1.0]
    with pytest.raises(UnsupportedExpression, match="ANOMALY_DETECTION_BAND"):
        evaluate_expression("ANOMALY_DETECTION_BAND(errors, 2)", series, 3)
    with pytest.raises(UnsupportedExpression, match="a number only"):
        evaluate_expression("FILL(errors, REPEAT)", series, 3)
    with pytest.raises(UnsupportedExpression, match="no metric of the alarm"):
        evaluate_expression("other + 1", series, 3)


class FakeCloudWatch:
    """DescribeAlarms (one page) and SetAlarmState, as the evaluator calls them."""

    def __init__(self, alarms: list[dict[str, Any]]):
        self.alarms = {a["AlarmName"]: {"StateValue": "OK", **a} for a in alarms}
        self.set_calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_alarms"
        fake = self

        class Pages:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                return [{"MetricAlarms": [dict(a) for a in fake.alarms.values()]}]

        return Pages()

    def set_alarm_state(self, **kwargs: Any) -> None:
        json.loads(kwargs["StateReasonData"])
        self.set_calls.append(kwargs)
        self.alarms[kwargs["AlarmName"]]["StateValue"] = kwargs["StateValue"]


FAILED_ALARM = {
    "AlarmName": "failed",
    "Namespace": "AWS/States",
    "MetricName": "ExecutionsFailed",
    "Dimensions": [{"Name": "StateMachineArn", "Value": "arn:sm"}],
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}


def test_the_evaluator_alarms_on_a_breach_and_clears_in_the_next_period() -> None:
    store = MetricStore()
    cloudwatch = FakeCloudWatch([FAILED_ALARM])
    evaluator = AlarmEvaluator(cloudwatch, store)
    assert evaluator.tick(NOW) == {}  # no data, notBreaching: stays OK, nothing set
    store.add([datum("AWS/States", "ExecutionsFailed", {"StateMachineArn": "arn:sm"}, 1, "Count", NOW - 5)])
    store.add([datum("AWS/States", "ExecutionsFailed", {"StateMachineArn": "other"}, 9, "Count", NOW - 5)])
    assert evaluator.tick(NOW) == {"failed": "ALARM"}
    assert "1 out of the last 1 datapoints" in cloudwatch.set_calls[-1]["StateReason"]
    assert evaluator.tick(NOW + 1) == {}, "unchanged: SetAlarmState is not called again"
    assert evaluator.tick(NOW + 60) == {"failed": "OK"}


def test_the_time_scale_shortens_the_periods() -> None:
    store = MetricStore()
    evaluator = AlarmEvaluator(FakeCloudWatch([FAILED_ALARM]), store, time_scale=0.01)  # 60 s -> 0.6 s
    store.add([datum("AWS/States", "ExecutionsFailed", {"StateMachineArn": "arn:sm"}, 1, "Count", NOW - 0.1)])
    assert evaluator.tick(NOW) == {"failed": "ALARM"}
    assert evaluator.tick(NOW + 0.6) == {"failed": "OK"}


def test_m_out_of_n_missing_data_and_unsupported_alarms() -> None:
    store = MetricStore()
    two_of_three = {**FAILED_ALARM, "AlarmName": "two", "EvaluationPeriods": 3, "DatapointsToAlarm": 2}
    missing = {**FAILED_ALARM, "AlarmName": "missing", "TreatMissingData": "missing"}
    math = {
        "AlarmName": "math",
        "Metrics": [{"Id": "x", "Expression": "RATE(y)", "ReturnData": True}],
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cloudwatch = FakeCloudWatch([two_of_three, missing, math])
    evaluator = AlarmEvaluator(cloudwatch, store)
    store.add([datum("AWS/States", "ExecutionsFailed", {"StateMachineArn": "arn:sm"}, 1, "Count", NOW - 130)])
    changed = evaluator.tick(NOW)
    assert changed == {"missing": "INSUFFICIENT_DATA", "math": "INSUFFICIENT_DATA"}
    assert "not supported locally" in cloudwatch.set_calls[-1]["StateReason"]
    store.add([datum("AWS/States", "ExecutionsFailed", {"StateMachineArn": "arn:sm"}, 2, "Count", NOW - 10)])
    assert evaluator.tick(NOW) == {"two": "ALARM", "missing": "ALARM"}


def test_the_console_filter_drops_runtime_lines_tracebacks_and_metric_lines() -> None:
    emf = json.dumps(
        {
            "_aws": {
                "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "m"}]}]
            },
            "m": 1,
        }
    )
    lines = [
        "START RequestId: 1 Version: $LATEST",
        "hello from the handler",
        "[ERROR] OutOfStock: no stock",
        "Traceback (most recent call last):",
        '  File "app.py", line 3, in handler',
        "    raise OutOfStock()",
        "app.OutOfStock: no stock",
        "",
        emf,
        '{"level": "INFO", "message": "after"}',
        "END RequestId: 1",
        "REPORT RequestId: 1\tDuration: 1.00 ms",
    ]
    console = ConsoleFilter()
    assert [line for line in lines if console.show(line)] == [
        "hello from the handler",
        "[ERROR] OutOfStock: no stock",
        '{"level": "INFO", "message": "after"}',
    ]


def test_an_execution_outcome_is_one_line() -> None:
    cause = json.dumps({"errorType": "RuntimeError", "errorMessage": "crashed\n  badly", "stackTrace": ["x"]})
    failed = {"status": "FAILED", "error": "RuntimeError", "cause": cause}
    assert execution_outcome(failed) == "RuntimeError: crashed badly"
    assert execution_outcome({"status": "FAILED", "error": "States.Timeout"}) == "States.Timeout"
    assert execution_outcome({"status": "FAILED", "error": "Boom", "cause": "why"}) == "Boom: why"
    assert execution_outcome({"status": "TIMED_OUT"}) == ""
    rejected = {"status": "SUCCEEDED", "output": json.dumps({"status": "REJECTED", "reason": "OutOfStock"})}
    assert execution_outcome(rejected) == "REJECTED: OutOfStock"
    assert execution_outcome({"status": "SUCCEEDED", "output": {"status": "CONFIRMED"}}) == ""
    long = {"status": "FAILED", "error": "E", "cause": "x" * 500}
    assert len(execution_outcome(long)) == 200


def test_telemetry_ships_batches_through_the_public_api() -> None:
    from orderflow.runtime.telemetry import Telemetry

    calls: list[tuple[str, dict[str, Any]]] = []

    class Exists(Exception):
        pass

    class FakeClient:
        class exceptions:
            ResourceAlreadyExistsException = Exists

        def __getattr__(self, name: str) -> Any:
            def call(**kwargs: Any) -> None:
                calls.append((name, kwargs))
                if name == "create_log_group":
                    raise Exists  # declared by the template: kept as it is

            return call

    telemetry = Telemetry(lambda service: FakeClient())
    telemetry.log_line("/aws/lambda/fn", "s", "second", at=2.0)
    telemetry.log_line("/aws/lambda/fn", "s", "first", at=1.0)
    telemetry.metric([datum("AWS/Lambda", "Errors", {"FunctionName": "fn"}, 1, "Count", NOW)])
    telemetry.start()
    try:
        telemetry.flush()
    finally:
        telemetry.stop()
    names = [name for name, _ in calls]
    assert names[:4] == ["create_log_group", "create_log_stream", "put_log_events", "put_metric_data"]
    events = calls[2][1]["logEvents"]
    assert [e["message"] for e in events] == ["first", "second"], "sorted by time"
    [datum_sent] = calls[3][1]["MetricData"]
    assert (datum_sent["MetricName"], datum_sent["Dimensions"]) == (
        "Errors",
        [{"Name": "FunctionName", "Value": "fn"}],
    )
