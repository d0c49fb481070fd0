"""CloudWatch on the real template: an order's Lambda logs in the functions' log groups (what `aws logs
tail` and `sam logs` read), and the BusinessRejections metric a rejection publishes (the alarms that
subtract it are evaluated on the fixture stack, tests/runtime/test_runtime_cloudwatch.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from orderflow.polling import wait_until
from tests.e2e.e2e_support import Stack

pytestmark = pytest.mark.e2e

TASKS = ("ValidateOrderFunction", "CheckStockFunction", "WriteOrderFunction", "NotifyOrderFunction")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    return wait_until(condition, timeout=timeout, what=what)


def lines(stack: Stack, logical_id: str, prefix: str) -> list[str]:
    logs = stack.client("logs")
    group = f"/aws/lambda/{stack.runtime.resources[logical_id]}"
    try:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        return [e["message"] for page in pages for e in page["events"] if e["message"].startswith(prefix)]
    except logs.exceptions.ResourceNotFoundException:
        return []


def test_an_order_logs_start_and_end_in_each_task_functions_log_group(stack: Stack) -> None:
    stack.runtime.flush_telemetry()
    before = {task: len(lines(stack, task, "START RequestId: ")) for task in TASKS}
    ids = stack.seed_products(kettle=5)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    status, _ = stack.api.post(
        "/orders",
        {"orderId": order_id, "customerId": "c-cw", "items": [{"productId": ids["kettle"], "quantity": 1}]},
    )
    assert status == 202
    body, _ = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED", body
    stack.runtime.flush_telemetry()
    for task in TASKS:
        starts = lines(stack, task, "START RequestId: ")
        assert len(starts) == before[task] + 1, (task, starts)
        request_id = starts[-1].split()[2]
        assert f"END RequestId: {request_id}" in lines(stack, task, "END RequestId: "), task
        assert any(request_id in r for r in lines(stack, task, "REPORT RequestId: ")), task


def test_a_rejection_publishes_business_rejections(stack: Stack) -> None:
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    status, _ = stack.api.post(
        "/orders",
        {"orderId": order_id, "customerId": "c-cw", "items": [{"productId": "no-such", "quantity": 1}]},
    )
    assert status == 202
    body, _ = stack.final_status(order_id)
    assert (body["status"], body["reason"]) == ("REJECTED", "ProductNotFound"), body
    check_stock = stack.runtime.resources["CheckStockFunction"]
    cloudwatch = stack.client("cloudwatch")

    def listed() -> list[dict[str, Any]]:
        stack.runtime.flush_telemetry()
        metrics = cloudwatch.list_metrics(Namespace="orderflow", MetricName="BusinessRejections")["Metrics"]
        wanted = {"Name": "FunctionName", "Value": check_stock}
        # moto lists a metric once per data point (AWS lists it once): one dimension set is expected
        sets = {tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in metrics}
        return [
            {"Dimensions": [{"Name": n, "Value": v} for n, v in s]}
            for s in sets
            if wanted in [{"Name": n, "Value": v} for n, v in s]
        ]

    [metric] = wait_for(listed, "the BusinessRejections metric")
    assert {"Name": "service", "Value": "orderflow"} in metric["Dimensions"]
    reasons = cloudwatch.list_metrics(Namespace="orderflow", MetricName="OrderRejections")["Metrics"]
    assert [{"Name": "Reason", "Value": "ProductNotFound"}, {"Name": "service", "Value": "orderflow"}] in [
        sorted(m["Dimensions"], key=lambda d: d["Name"]) for m in reasons
    ]


def test_the_api_publishes_aws_apigateway_metrics_and_p99_is_answered(stack: Stack) -> None:
    """AWS/ApiGateway Count/4XXError/Latency by ApiName and Stage
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html),
    and GetMetricData answers a percentile over the wire (it answered 500)."""
    import datetime as dt

    status, _ = stack.api.get("/orders/no-such-order-for-metrics")
    assert status == 404
    stack.runtime.flush_telemetry()
    cloudwatch = stack.client("cloudwatch")
    counts = cloudwatch.list_metrics(Namespace="AWS/ApiGateway", MetricName="4XXError")["Metrics"]
    dimension_sets = [{d["Name"] for d in m["Dimensions"]} for m in counts]
    assert {"ApiName"} in dimension_sets and {"ApiName", "Stage"} in dimension_sets, counts
    [by_api] = [m for m in counts if len(m["Dimensions"]) == 1]
    now = dt.datetime.now(dt.UTC)
    window = {"StartTime": now - dt.timedelta(minutes=10), "EndTime": now + dt.timedelta(minutes=1)}
    queries = [
        {"Id": "errors", "MetricStat": {"Metric": by_api, "Period": 600, "Stat": "Sum"}},
        {
            "Id": "p99",
            "MetricStat": {
                "Metric": {**by_api, "MetricName": "Latency"},
                "Period": 600,
                "Stat": "p99",
            },
        },
    ]
    results = {
        r["Id"]: r["Values"]
        for r in cloudwatch.get_metric_data(MetricDataQueries=queries, **window)["MetricDataResults"]
    }
    assert results["errors"] and results["errors"][0] >= 1, results
    assert results["p99"] and results["p99"][0] > 0, results
