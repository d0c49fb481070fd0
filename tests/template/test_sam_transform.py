"""template.yaml through aws-sam-translator (offline): the CloudFormation it becomes is what we meant."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from samtranslator.model.exceptions import InvalidDocumentException

from tests.template.sam_offline import OfflinePolicyMap, transform

EXPECTED_ROUTES = {
    ("POST", "/orders"),
    ("GET", "/orders/{orderId}"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("GET", "/users/{userId}"),
    ("PUT", "/users/{userId}"),
    ("DELETE", "/users/{userId}"),
}


def of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in cfn["Resources"].items() if res["Type"] == kind}


def join_to_text(value: Any) -> str:
    """Fn::Join of plain strings (how SAM writes an inlined Definition) back to text."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    assert all(isinstance(part, str) for part in parts), "DefinitionString should be plain text"
    return separator.join(parts)


def test_transform_leaves_no_serverless_resources(transformed):
    assert "Transform" not in transformed
    leftovers = {n: r["Type"] for n, r in transformed["Resources"].items() if "Serverless" in r["Type"]}
    assert leftovers == {}


def test_transform_really_rejects_a_broken_template(template):
    """The offline transform is a real check: an API event without its path fails it."""
    broken = copy.deepcopy(template)
    del broken["Resources"]["OrdersApiFunction"]["Properties"]["Events"]["CreateOrder"]["Properties"]["Path"]
    with pytest.raises(InvalidDocumentException, match="Path"):
        transform(broken)


def test_transform_never_asks_iam_for_managed_policies_it_was_not_given(template):
    """Every managed policy the template names resolves from the offline map (no IAM call needed)."""
    policy_map = OfflinePolicyMap(policies={})
    cfn = transform(template, policy_map=policy_map)
    arns = {
        arn
        for role in of_type(cfn, "AWS::IAM::Role").values()
        for arn in role["Properties"].get("ManagedPolicyArns", [])
    }
    assert all(isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/") for arn in arns), arns


def test_state_machine_has_definition_and_substitutions(transformed, template, asl):
    machines = of_type(transformed, "AWS::StepFunctions::StateMachine")
    assert set(machines) == {"OrderWorkflow"}
    props = machines["OrderWorkflow"]["Properties"]
    assert (
        props["DefinitionSubstitutions"]
        == (template["Resources"]["OrderWorkflow"]["Properties"]["DefinitionSubstitutions"])
    )
    assert json.loads(join_to_text(props["DefinitionString"])) == asl
    assert props["StateMachineType"] == {"Ref": "WorkflowType"}
    assert props["RoleArn"] == {"Fn::GetAtt": ["OrderWorkflowRole", "Arn"]}


def test_state_machine_name_derives_from_the_stack_name(transformed):
    name = transformed["Resources"]["OrderWorkflow"]["Properties"]["StateMachineName"]
    assert isinstance(name, dict) and "Fn::Sub" in name, name
    assert "${AWS::StackName}" in name["Fn::Sub"]


def test_state_machine_traces_and_logs_everything(transformed):
    props = transformed["Resources"]["OrderWorkflow"]["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is True
    [destination] = logging["Destinations"]
    log_group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert transformed["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"


def test_every_lambda_function_has_its_own_role(transformed, template):
    functions = of_type(transformed, "AWS::Lambda::Function")
    expected = set(of_type(template, "AWS::Serverless::Function"))
    assert set(functions) == expected
    roles = {}
    for name, function in functions.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"]
        assert role[1] == "Arn"
        assert transformed["Resources"][role[0]]["Type"] == "AWS::IAM::Role"
        roles[name] = role[0]
    assert len(set(roles.values())) == len(roles), f"functions share a role: {roles}"


def test_every_function_gets_the_global_settings(transformed):
    for name, function in of_type(transformed, "AWS::Lambda::Function").items():
        props = function["Properties"]
        assert props["Runtime"].startswith("python3."), name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        variables = props["Environment"]["Variables"]
        assert variables["AWS_RETRY_MODE"] == "standard", name
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(
            variables
        ), name


def test_stream_mapping_reports_partial_failures_with_bounded_retries(transformed):
    mappings = of_type(transformed, "AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {"UserStreamMailerMapping"}
    props = mappings["UserStreamMailerMapping"]["Properties"]
    assert props["FunctionName"] == {"Ref": "UserStreamMailerFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["UsersTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert isinstance(props["MaximumRetryAttempts"], int)
    assert 0 <= props["MaximumRetryAttempts"] <= 10, "retries must be bounded (-1 means forever)"
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 604800
    [pattern] = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT", "MODIFY"]}
    destination = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
    assert destination[1] == "Arn"
    assert transformed["Resources"][destination[0]]["Type"] == "AWS::SQS::Queue"


def test_the_mailers_retries_outlast_a_crashed_invocations_in_progress_record(transformed):
    """A crashed mailer invocation leaves its record's idempotency entry IN_PROGRESS until the
    invocation's deadline (register_lambda_context): at most the function's Timeout after the crash.
    The local mapping's backoff before the last retry must reach past it, or the record would be
    given up on while it was only waiting (the mail lost)."""
    from orderflow.runtime.streams import backoff_seconds

    props = of_type(transformed, "AWS::Lambda::EventSourceMapping")["UserStreamMailerMapping"]["Properties"]
    function = transformed["Resources"]["UserStreamMailerFunction"]["Properties"]
    timeout = function.get("Timeout", transformed.get("Globals", {}).get("Function", {}).get("Timeout", 3))
    waited = sum(backoff_seconds(n) for n in range(1, props["MaximumRetryAttempts"] + 1))
    assert waited > timeout, (waited, timeout)


def test_api_has_exactly_the_routes(transformed):
    apis = of_type(transformed, "AWS::ApiGateway::RestApi")
    assert set(apis) == {"OrderflowApi"}
    paths = apis["OrderflowApi"]["Properties"]["Body"]["paths"]
    routes = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    assert routes == EXPECTED_ROUTES
    for path, methods in paths.items():
        for method, operation in methods.items():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy", (method, path)
