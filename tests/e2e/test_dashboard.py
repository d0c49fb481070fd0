"""The template's CloudWatch dashboard as the local runtime creates it: `get_dashboard` on the
embedded AWS answers a body whose names are the stack's physical names (tests/template/test_dashboard.py
checks the template side: valid body, metrics that exist, every resource on it)."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.e2e_support import Stack
from tests.support.dashboard import metric_rows, metric_widgets


def physical(stack: Stack, resource_type: str) -> set[str]:
    types = stack.runtime.resource_types
    return {stack.runtime.resources[name] for name, kind in types.items() if kind == resource_type}


def dimension_values(body: dict[str, Any], namespace: str, dimension: str) -> set[str]:
    return {
        row.dimensions[dimension]
        for row in metric_rows(body)
        if row.namespace == namespace and dimension in row.dimensions
    }


def test_the_runtime_creates_the_dashboard_with_the_stacks_names(stack: Stack) -> None:
    name = stack.runtime.outputs["DashboardName"]
    assert name == f"e2e-{stack.region}" == stack.runtime.resources["OrderflowDashboard"]
    cloudwatch = stack.client("cloudwatch")
    listed = cloudwatch.list_dashboards()["DashboardEntries"]
    assert name in [entry["DashboardName"] for entry in listed]

    text = cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
    assert "${" not in text, "every !Sub token resolved"
    body = json.loads(text)
    assert {props["region"] for props in metric_widgets(body)} == {stack.region}

    functions = physical(stack, "AWS::Lambda::Function")
    assert len(functions) == 7
    assert dimension_values(body, "AWS/Lambda", "FunctionName") == functions
    assert dimension_values(body, "orderflow", "function_name") == functions  # ColdStart
    tables = physical(stack, "AWS::DynamoDB::Table")
    assert dimension_values(body, "AWS/DynamoDB", "TableName") == tables
    assert tables <= set(stack.client("dynamodb").list_tables()["TableNames"])
    workflow = stack.runtime.outputs["OrderWorkflowArn"]
    assert dimension_values(body, "AWS/States", "StateMachineArn") == {workflow}

    sqs = stack.client("sqs")
    dead_letter = {
        stack.runtime.resources["OrderNotificationsDlq"],
        stack.runtime.resources["UserStreamMailerFailures"],
    }
    queue_names = dimension_values(body, "AWS/SQS", "QueueName")
    assert queue_names == {url.rsplit("/", 1)[1] for url in dead_letter}
    for queue in queue_names:
        sqs.get_queue_url(QueueName=queue)  # the queue exists under that name

    [alarm_widget] = [w["properties"] for w in body["widgets"] if w["type"] == "alarm"]
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    stack_alarms = physical(stack, "AWS::CloudWatch::Alarm")
    assert sorted(alarm_widget["alarms"]) == sorted(
        a["AlarmArn"] for a in alarms if a["AlarmName"] in stack_alarms
    )
    assert len(alarm_widget["alarms"]) == len(stack_alarms) == 15
