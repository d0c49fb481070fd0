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
