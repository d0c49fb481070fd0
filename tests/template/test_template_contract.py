"""What users and the other parts of the project rely on: outputs, parameters, globals."""

from __future__ import annotations

EXPECTED_OUTPUTS = {
    "ApiUrl",
    "OrderWorkflowArn",
    "UsersTableName",
    "ProductsTableName",
    "OrdersTableName",
    "OrderNotificationsQueueUrl",
    "OrderNotificationsDlqUrl",
    "DashboardName",
}


def test_outputs_are_exactly_the_documented_keys(template):
    assert set(template["Outputs"]) == EXPECTED_OUTPUTS


def test_outputs_point_at_the_right_resources(template):
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert outputs["OrderWorkflowArn"] == {"Ref": "OrderWorkflow"}
    assert outputs["UsersTableName"] == {"Ref": "UsersTable"}
    assert outputs["ProductsTableName"] == {"Ref": "ProductsTable"}
    assert outputs["OrdersTableName"] == {"Ref": "OrdersTable"}
    assert outputs["OrderNotificationsQueueUrl"] == {"Ref": "OrderNotificationsQueue"}
    assert outputs["OrderNotificationsDlqUrl"] == {"Ref": "OrderNotificationsDlq"}
    assert outputs["DashboardName"] == {"Ref": "OrderflowDashboard"}
    api_url = outputs["ApiUrl"]["Fn::Sub"]
    assert api_url.startswith("https://${OrderflowApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/")
    assert "${ApiStageName}" in api_url


def test_workflow_type_is_standard_by_default_and_may_be_express(template):
    parameter = template["Parameters"]["WorkflowType"]
    assert parameter["Type"] == "String"
    assert parameter["Default"] == "STANDARD"
    assert sorted(parameter["AllowedValues"]) == ["EXPRESS", "STANDARD"]
    assert template["Resources"]["OrderWorkflow"]["Properties"]["Type"] == {"Ref": "WorkflowType"}


def test_state_machine_name_is_built_from_the_stack_name(template):
    name = template["Resources"]["OrderWorkflow"]["Properties"]["Name"]
    assert name == {"Fn::Sub": "${AWS::StackName}-OrderWorkflow"}


def test_globals_configure_powertools_and_standard_retries(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orderflow"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "orderflow"
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert variables["AWS_RETRY_MODE"] == "standard"
    assert template["Globals"]["Function"]["Tracing"] == "Active"


def test_state_machine_declares_tracing_and_logging(template):
    props = template["Resources"]["OrderWorkflow"]["Properties"]
    assert props["Tracing"] == {"Enabled": True}
    assert props["Logging"]["Level"] == "ALL"
    assert props["Logging"]["IncludeExecutionData"] is True
    [destination] = props["Logging"]["Destinations"]
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == {
        "Fn::GetAtt": ["OrderWorkflowLogGroup", "Arn"]
    }


# ------------------------------------------------------------------ alarms
REJECTING_FUNCTIONS = {"ValidateOrderFunction", "CheckStockFunction", "WriteOrderFunction"}


def alarms(template):
    return {
        n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def watched(props):
    """(namespace, metric name, {dimension: value}) of every metric an alarm reads."""
    if "MetricName" in props:
        metrics = [(props["Namespace"], props["MetricName"], props.get("Dimensions", []))]
    else:
        metrics = [
            (
                q["MetricStat"]["Metric"]["Namespace"],
                q["MetricStat"]["Metric"]["MetricName"],
                q["MetricStat"]["Metric"].get("Dimensions", []),
            )
            for q in props["Metrics"]
            if "MetricStat" in q
        ]
    return [(ns, name, {d["Name"]: d["Value"] for d in dims}) for ns, name, dims in metrics]


def test_every_function_has_an_errors_alarm(template):
    functions = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    alarmed = {
        dims["FunctionName"]["Ref"]
        for props in alarms(template).values()
        for ns, name, dims in watched(props)
        if (ns, name) == ("AWS/Lambda", "Errors")
    }
    assert alarmed == functions


def test_rejections_do_not_trip_the_errors_alarms(template):
    """Rejections are raised (Lambda Errors); their alarms watch Errors minus BusinessRejections,
    which the task wrapper emits with the namespace and service the Globals give Powertools."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, props in alarms(template).items():
        metrics = watched(props)
        function = next((d["FunctionName"]["Ref"] for ns, m, d in metrics if m == "Errors"), None)
        if function not in REJECTING_FUNCTIONS:
            continue
        rejections = {
            "Namespace": variables["POWERTOOLS_METRICS_NAMESPACE"],
            "Dimensions": {
                "FunctionName": {"Ref": function},
                "service": variables["POWERTOOLS_SERVICE_NAME"],
            },
        }
        assert [(ns, d) for ns, m, d in metrics if m == "BusinessRejections"] == [
            (rejections["Namespace"], rejections["Dimensions"])
        ], name
        [expression] = [q for q in props["Metrics"] if q.get("ReturnData", True)]
        assert expression["Expression"] == "FILL(errors, 0) - FILL(rejections, 0)", name
        assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_tables_workflow_and_queues_are_watched(template):
    watched_all = [w for props in alarms(template).values() for w in watched(props)]
    tables = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    throttled = {d["TableName"]["Ref"] for ns, m, d in watched_all if m.endswith("ThrottleEvents")}
    assert throttled >= tables - {"IdempotencyTable"}
    workflow = {m for ns, m, d in watched_all if d.get("StateMachineArn") == {"Ref": "OrderWorkflow"}}
    assert workflow >= {"ExecutionsFailed", "ExecutionsTimedOut"}
    depth = {
        d["QueueName"]["Fn::GetAtt"][0]
        for ns, m, d in watched_all
        if m == "ApproximateNumberOfMessagesVisible"
    }
    assert {"OrderNotificationsDlq", "UserStreamMailerFailures"} <= depth
