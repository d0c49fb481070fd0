"""The template's CloudWatch dashboard: a valid body, metrics that exist, every resource on it.

The body is a ``!Sub``: each ``${LogicalId}`` / ``${LogicalId.Attribute}`` is resolved here to a marker
``<LogicalId>`` / ``<LogicalId.Attribute>`` (pseudo parameters to ``<AWS::Region>`` ...), so the tests
can tell which resource each dimension names. What runs on the local runtime (the physical names
CloudFormation puts in) is tests/e2e/test_dashboard.py.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from order_service.errors import OrderRejection

from tests.support.dashboard import Row, dashboard, metric_rows, metric_widgets, sub_text, substitute
from tests.template.template_support import ROOT

PSEUDO_PARAMETERS = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
STATE_MACHINE = "AWS::Serverless::StateMachine"

# What AWS itself publishes, per namespace: the dimension the dashboard uses (with the resource type
# whose Ref / attribute gives its value) and the metrics published with that dimension.
# AWS/States: Step Functions "Execution metrics" (StateMachineArn); AWS/Lambda: "Invocation" and
# "Performance" metrics (FunctionName); AWS/DynamoDB: table metrics (TableName; ThrottledRequests also
# needs Operation); AWS/SQS: queue metrics (QueueName).
AWS_METRICS: dict[str, tuple[str, str, set[str]]] = {
    "AWS/States": (
        "StateMachineArn",
        STATE_MACHINE,
        {
            "ExecutionsStarted",
            "ExecutionsSucceeded",
            "ExecutionsFailed",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
            "ExecutionThrottled",
            "ExecutionTime",
        },
    ),
    "AWS/Lambda": (
        "FunctionName",
        FUNCTION,
        {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"},
    ),
    "AWS/DynamoDB": (
        "TableName",
        TABLE,
        {
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "ConsumedReadCapacityUnits",
            "ConsumedWriteCapacityUnits",
        },
    ),
    "AWS/SQS": (
        "QueueName",
        QUEUE,
        {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent"},
    ),
}
# The attribute a dimension value is taken from, where it is not the resource's Ref.
DIMENSION_ATTRIBUTE = {"QueueName": "QueueName"}
# Dimensions of the app's own (Powertools) metrics whose value is a function's physical name.
FUNCTION_DIMENSIONS = {"FunctionName", "function_name"}
PERCENTILES = ["p50", "p90", "p99"]
# The tasks that raise rejections (tests/template/test_template_contract.py checks their alarms).
REJECTING_FUNCTIONS = {"ValidateOrderFunction", "CheckStockFunction", "WriteOrderFunction"}
EXPRESSION_ID = re.compile(r"\b[a-z]\w*\b")  # metric ids start lowercase; math functions are uppercase


# --------------------------------------------------------------------------------- the body


def marker(template: dict[str, Any], token: str) -> str:
    if token in PSEUDO_PARAMETERS:
        return f"<{token}>"
    logical_id = token.split(".")[0]
    assert logical_id in template["Resources"], f"${{{token}}} names no resource of the template"
    return f"<{token}>"


@pytest.fixture(scope="module")
def body(template: dict[str, Any]) -> dict[str, Any]:
    _, props = dashboard(template)
    text = substitute(sub_text(props["DashboardBody"]), lambda token: marker(template, token))
    return json.loads(text)


@pytest.fixture(scope="module")
def rows(body: dict[str, Any]) -> list[Row]:
    return list(metric_rows(body))


@pytest.fixture(scope="module")
def globals_env(template: dict[str, Any]) -> dict[str, str]:
    return template["Globals"]["Function"]["Environment"]["Variables"]


def of_type(template: dict[str, Any], kind: str) -> set[str]:
    return {name for name, resource in template["Resources"].items() if resource["Type"] == kind}


def named(value: str, template: dict[str, Any], kind: str, attribute: str | None = None) -> str:
    """The logical id a dimension value marker names, checked to be a ``kind`` (via ``attribute``)."""
    match = re.fullmatch(r"<(\w+)(?:\.(\w+))?>", value)
    assert match, f"{value!r} is written out, not taken from the template"
    logical_id, got_attribute = match.groups()
    assert template["Resources"][logical_id]["Type"] == kind, value
    assert got_attribute == attribute, f"{value}: expected {'Ref' if attribute is None else attribute}"
    return logical_id


def test_body_is_json_after_substitution_and_names_only_template_resources(template):
    _, props = dashboard(template)
    text = sub_text(props["DashboardBody"])
    tokens = set(re.findall(r"\$\{([^}]+)\}", text))
    assert tokens, "the body takes its names from the template"
    for token in tokens:
        marker(template, token)  # a resource of the template or a pseudo parameter
    resolved = substitute(text, lambda token: marker(template, token))
    assert "${" not in resolved
    body = json.loads(resolved)
    assert body["widgets"], "a dashboard without widgets"


def test_name_is_the_stack_and_region(template):
    """Dashboard names are global to the account (the ARN has no region): the same stack name
    deployed in two regions gets two dashboards."""
    _, props = dashboard(template)
    assert sub_text(props["DashboardName"]) == "${AWS::StackName}-${AWS::Region}"


def test_every_graph_is_in_the_stack_region(body):
    for props in metric_widgets(body):
        assert props["region"] == "<AWS::Region>", props["title"]


def test_widgets_fit_the_grid_without_overlapping(body):
    cells: set[tuple[int, int]] = set()
    for widget in body["widgets"]:
        x, y, width, height = widget["x"], widget["y"], widget["width"], widget["height"]
        assert x + width <= 24, widget
        area = {(col, row) for col in range(x, x + width) for row in range(y, y + height)}
        assert not area & cells, f"overlap: {widget.get('properties', {}).get('title')}"
        cells |= area


# ------------------------------------------------------------------------------ the metrics


def powertools_metrics() -> dict[str, set[str]]:
    """Metric name (a regular expression) -> its dimension names besides ``service``, for every
    metric the functions emit in
    the Powertools namespace: ``add_metric`` (default dimensions only), ``single_metric`` blocks (with
    their ``add_dimension`` calls) and Powertools' own ``ColdStart`` where a handler captures it."""
    emitted: dict[str, set[str]] = {}
    for path in sorted((ROOT / "functions").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }

        def text(node: ast.AST | None, where: Path = path, known: dict[str, str] = constants) -> str:
            """The name as a regular expression (an f-string's fields match any text)."""
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return re.escape(node.value)
            if isinstance(node, ast.Name) and node.id in known:
                return re.escape(known[node.id])
            if isinstance(node, ast.JoinedStr):
                return "".join(
                    re.escape(part.value) if isinstance(part, ast.Constant) else ".+" for part in node.values
                )
            raise AssertionError(f"{where}: a metric or dimension name the test cannot read")

        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = getattr(node.func, "attr", getattr(node.func, "id", None))
                keywords = {k.arg: k.value for k in node.keywords}
                if called == "add_metric":
                    emitted.setdefault(text(keywords.get("name")), set())
                capture = keywords.get("capture_cold_start_metric")
                if isinstance(capture, ast.Constant) and capture.value is True:
                    emitted["ColdStart"] = {"function_name"}  # Metrics.add_cold_start_metric
            if isinstance(node, ast.With):
                for item in node.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "single_metric":
                        name = text({k.arg: k.value for k in call.keywords}.get("name"))
                        emitted[name] = {
                            text({k.arg: k.value for k in inner.keywords}.get("name"))
                            for statement in node.body
                            for inner in ast.walk(statement)
                            if isinstance(inner, ast.Call)
                            and getattr(inner.func, "attr", None) == "add_dimension"
                        }
    return emitted


def rejection_reasons() -> set[str]:
    """The reasons an order is rejected for: the errors the workflow catches into OrderRejected."""
    return {cls.__name__ for cls in OrderRejection.__subclasses__()}


def test_the_reasons_are_what_the_workflow_catches(asl):
    caught = {
        error
        for state in asl["States"].values()
        for catch in state.get("Catch", [])
        if catch["Next"] == "OrderRejected"
        for error in catch["ErrorEquals"]
    }
    assert rejection_reasons() == caught


def test_the_functions_emit_what_the_template_relies_on():
    emitted = powertools_metrics()
    assert emitted["BusinessRejections"] == {"FunctionName"}
    assert emitted["OrderRejections"] == {"Reason"}
    assert emitted["ColdStart"] == {"function_name"}


def test_every_aws_metric_exists_for_the_resource_it_names(template, rows):
    aws_rows = [row for row in rows if row.namespace and row.namespace.startswith("AWS/")]
    assert aws_rows
    for row in aws_rows:
        assert row.namespace in AWS_METRICS, row
        dimension, kind, names = AWS_METRICS[row.namespace]
        assert row.name in names, f"{row.namespace} publishes no {row.name}"
        assert set(row.dimensions) == {dimension}, row
        named(row.dimensions[dimension], template, kind, DIMENSION_ATTRIBUTE.get(dimension))


def test_every_app_metric_is_one_the_functions_emit(template, rows, globals_env):
    """The app's metrics: Powertools' namespace and service from the Globals, a metric name some
    function emits, with exactly the dimensions it is emitted with."""
    emitted = powertools_metrics()
    app_rows = [row for row in rows if row.namespace and not row.namespace.startswith("AWS/")]
    assert app_rows
    for row in app_rows:
        assert row.namespace == globals_env["POWERTOOLS_METRICS_NAMESPACE"], row
        [dimensions] = [d for name, d in emitted.items() if re.fullmatch(name, row.name or "")] or [
            pytest.fail(f"no function emits {row.name}")
        ]
        assert set(row.dimensions) == dimensions | {"service"}, row
        assert row.dimensions["service"] == globals_env["POWERTOOLS_SERVICE_NAME"], row
        for dimension, value in row.dimensions.items():
            if dimension in FUNCTION_DIMENSIONS:
                named(value, template, FUNCTION)
            elif dimension == "Reason":
                assert value in rejection_reasons(), row


def test_expressions_read_only_metrics_of_their_own_widget(body):
    for props in metric_widgets(body):
        ids = {
            entry[-1]["id"] for entry in props["metrics"] if isinstance(entry[-1], dict) and "id" in entry[-1]
        }
        for entry in props["metrics"]:
            expression = entry[-1].get("expression") if isinstance(entry[-1], dict) else None
            if expression:
                assert set(EXPRESSION_ID.findall(expression)) <= ids, (props["title"], expression)
                assert "label" in entry[-1], f"{props['title']}: an expression without a label"


# ------------------------------------------------------------------------------ the graphs


def widget_rows(rows: list[Row], title_start: str) -> list[Row]:
    found = [row for row in rows if row.widget.startswith(title_start)]
    assert found, f"no widget titled {title_start!r}..."
    return found


def test_orders_per_minute_by_outcome(rows):
    """CONFIRMED = succeeded executions minus rejections (a rejected order's execution succeeds);
    REJECTED = every reason's rejections; FAILED = failed, timed out and aborted executions."""
    outcome = widget_rows(rows, "Orders per minute by outcome")
    by_id = {row.options["id"]: row for row in outcome if "id" in row.options}
    visible = {row.options["label"]: row for row in outcome if row.visible}
    assert set(visible) == {"CONFIRMED", "REJECTED", "FAILED"}
    assert all(row.expression for row in visible.values())

    def metrics_of(label: str) -> set[tuple[str | None, str | None]]:
        ids = set(EXPRESSION_ID.findall(visible[label].expression or ""))
        while any(by_id[i].expression for i in ids):  # expressions of expressions
            ids = {j for i in ids for j in (EXPRESSION_ID.findall(by_id[i].expression or "") or [i])}
        return {(by_id[i].name, by_id[i].dimensions.get("Reason")) for i in ids}

    reasons = rejection_reasons()
    assert metrics_of("REJECTED") == {("OrderRejections", reason) for reason in reasons}
    assert metrics_of("CONFIRMED") == {("ExecutionsSucceeded", None)} | {
        ("OrderRejections", reason) for reason in reasons
    }
    assert " - " in (visible["CONFIRMED"].expression or "")
    assert metrics_of("FAILED") == {
        ("ExecutionsFailed", None),
        ("ExecutionsTimedOut", None),
        ("ExecutionsAborted", None),
    }


def test_rejections_by_reason(rows):
    graphed = widget_rows(rows, "Rejections per minute by reason")
    assert {
        row.dimensions["Reason"] for row in graphed if row.name == "OrderRejections"
    } == rejection_reasons()


def test_execution_time_percentiles(template, rows):
    timing = widget_rows(rows, "Order execution time")
    assert [row.options["stat"] for row in timing if row.name == "ExecutionTime"] == PERCENTILES
    assert {named(row.dimensions["StateMachineArn"], template, STATE_MACHINE) for row in timing} == {
        "OrderWorkflow"
    }


@pytest.mark.parametrize(
    ("title", "namespace", "metric"),
    [
        ("Lambda technical errors", "AWS/Lambda", "Errors"),
        ("Lambda throttles", "AWS/Lambda", "Throttles"),
        ("Lambda duration", "AWS/Lambda", "Duration"),
        ("Lambda cold starts", "orderflow", "ColdStart"),
    ],
)
def test_every_function_is_graphed(template, rows, title, namespace, metric):
    graphed = [row for row in widget_rows(rows, title) if (row.namespace, row.name) == (namespace, metric)]
    dimension = "function_name" if metric == "ColdStart" else "FunctionName"
    functions = [named(row.dimensions[dimension], template, FUNCTION) for row in graphed]
    assert sorted(functions) == sorted(of_type(template, FUNCTION)), "each function once"


def test_errors_leave_out_rejections_as_the_alarms_do(template, rows):
    """A rejecting task's rejections are Lambda errors too: its line is Errors - BusinessRejections
    (the errors alarms' own expression); the other functions' lines are their Errors."""
    errors = widget_rows(rows, "Lambda technical errors")
    by_id = {row.options["id"]: row for row in errors if "id" in row.options}
    expressions = [row.expression for row in errors if row.visible and row.expression]
    subtracting = set()
    for row in errors:
        if row.name != "Errors":
            continue
        function = named(row.dimensions["FunctionName"], template, FUNCTION)
        if row.visible:
            continue
        own = row.options["id"]
        [expression] = [e for e in expressions if own in EXPRESSION_ID.findall(e)]
        [other] = [by_id[i] for i in EXPRESSION_ID.findall(expression) if i != own]
        assert other.name == "BusinessRejections", expression
        assert other.dimensions["FunctionName"] == row.dimensions["FunctionName"]
        assert expression == f"FILL({own}, 0) - FILL({other.options['id']}, 0)"
        subtracting.add(function)
    assert subtracting == REJECTING_FUNCTIONS


def test_every_table_has_its_read_and_write_throttles(template, rows):
    graphed = widget_rows(rows, "DynamoDB throttle events")
    pairs = sorted((named(row.dimensions["TableName"], template, TABLE), row.name) for row in graphed)
    tables = sorted(of_type(template, TABLE))
    assert pairs == sorted(
        (table, kind) for table in tables for kind in ("ReadThrottleEvents", "WriteThrottleEvents")
    )


def dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Queues something sends its failures to: a redrive target, a stream's on-failure destination."""
    found = set()
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        redrive = props.get("RedrivePolicy", {}).get("deadLetterTargetArn")
        failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        dead_letter = props.get("DeadLetterQueue", {}).get("TargetArn")
        for target in (redrive, failure, dead_letter):
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                name, attribute = target["Fn::GetAtt"]
                if template["Resources"][name]["Type"] == QUEUE and attribute == "Arn":
                    found.add(name)
    return found


def test_every_dead_letter_queue_depth(template, rows):
    graphed = widget_rows(rows, "Dead-letter queue depth")
    assert {row.name for row in graphed} == {"ApproximateNumberOfMessagesVisible"}
    queues = {named(row.dimensions["QueueName"], template, QUEUE, "QueueName") for row in graphed}
    assert queues == dead_letter_queues(template) == {"OrderNotificationsDlq", "UserStreamMailerFailures"}


def test_every_alarm_is_in_the_alarm_widget(template, body):
    [widget] = [w["properties"] for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(widget["alarms"]) == sorted(
        f"<{name}.Arn>" for name in of_type(template, "AWS::CloudWatch::Alarm")
    )
