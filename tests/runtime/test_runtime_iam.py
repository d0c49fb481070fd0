"""IAM enforced locally: the evaluator (unit), and the fixture app under its roles (runtime)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from orderflow.runtime.iam_policy import Check, dynamodb_checks, evaluate, parse_policies
from tests.runtime.runtime_support import run_execution, running

IAM_TEMPLATE = Path(__file__).parent / "fixtures" / "iam" / "template.yaml"
ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"


def policy(*statements: dict[str, Any]) -> list[Any]:
    return parse_policies([("p", {"Version": "2012-10-17", "Statement": list(statements)})])


# ----------------------------------------------------------------------------------- evaluator


def test_no_statement_is_an_implicit_deny() -> None:
    decision = evaluate([], "dynamodb:GetItem", TABLE)
    assert not decision.allowed and decision.explicit_deny is None


def test_action_wildcards_and_case() -> None:
    statements = policy({"Effect": "Allow", "Action": "DynamoDB:Get*", "Resource": TABLE})
    assert evaluate(statements, "dynamodb:GetItem", TABLE).allowed
    assert not evaluate(statements, "dynamodb:PutItem", TABLE).allowed
    single = policy({"Effect": "Allow", "Action": "dynamodb:?etItem", "Resource": "*"})
    assert evaluate(single, "dynamodb:GetItem", TABLE).allowed
    assert not evaluate(single, "dynamodb:BatchGetItem", TABLE).allowed


def test_resource_wildcards_are_case_sensitive_and_anchored() -> None:
    statements = policy(
        {
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Ord*",
        }
    )
    assert evaluate(statements, "dynamodb:Query", TABLE).allowed
    assert evaluate(statements, "dynamodb:Query", TABLE + "/index/ByCustomer").allowed  # * spans '/'
    assert not evaluate(statements, "dynamodb:Query", TABLE.replace("Orders", "orders")).allowed
    assert not evaluate(statements, "dynamodb:Query", "x" + TABLE).allowed


def test_index_arn_is_not_the_table_arn() -> None:
    statements = policy({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": TABLE})
    assert evaluate(statements, "dynamodb:Query", TABLE).allowed
    assert not evaluate(statements, "dynamodb:Query", TABLE + "/index/ByCustomer").allowed


def test_deny_wins_over_allow_in_any_order() -> None:
    allow = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    deny = {"Sid": "NoPuts", "Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE}
    for statements in (policy(allow, deny), policy(deny, allow)):
        decision = evaluate(statements, "dynamodb:PutItem", TABLE)
        assert not decision.allowed
        assert decision.explicit_deny is not None and decision.explicit_deny.sid == "NoPuts"
        assert evaluate(statements, "dynamodb:GetItem", TABLE).allowed


def test_not_action_and_not_resource() -> None:
    statements = policy({"Effect": "Allow", "NotAction": "dynamodb:Delete*", "NotResource": TABLE})
    other = TABLE.replace("Orders", "Users")
    assert evaluate(statements, "dynamodb:GetItem", other).allowed
    assert not evaluate(statements, "dynamodb:DeleteItem", other).allowed
    assert not evaluate(statements, "dynamodb:GetItem", TABLE).allowed


def test_string_conditions_and_unknown_ones() -> None:
    statements = policy(
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "*",
            "Condition": {"StringEquals": {"ses:FromAddress": "shop@example.com"}},
        }
    )
    assert evaluate(statements, "ses:SendEmail", "*", {"ses:FromAddress": "shop@example.com"}).allowed
    assert not evaluate(statements, "ses:SendEmail", "*", {"ses:FromAddress": "evil@example.com"}).allowed
    assert not evaluate(statements, "ses:SendEmail", "*").allowed
    unknown = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    assert not evaluate(unknown, "ses:SendEmail", "*").allowed  # not evaluated: grants nothing


def test_transactions_are_authorised_per_item_and_batches_per_table() -> None:
    body = {
        "TransactItems": [
            {"Update": {"TableName": "Products", "Key": {}}},
            {"Put": {"TableName": "Orders", "Item": {}}},
            {"ConditionCheck": {"TableName": "Users", "Key": {}}},
            {"Delete": {"TableName": TABLE, "Key": {}}},
        ]
    }
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
    assert dynamodb_checks("TransactWriteItems", body, REGION, ACCOUNT) == [
        Check("dynamodb:UpdateItem", arn + "Products"),
        Check("dynamodb:PutItem", arn + "Orders"),
        Check("dynamodb:ConditionCheckItem", arn + "Users"),
        Check("dynamodb:DeleteItem", TABLE),
    ]
    batch = {"RequestItems": {"Products": {}, "Orders": {}}}
    assert dynamodb_checks("BatchGetItem", batch, REGION, ACCOUNT) == [
        Check("dynamodb:BatchGetItem", arn + "Products"),
        Check("dynamodb:BatchGetItem", arn + "Orders"),
    ]
    query = {"TableName": "Orders", "IndexName": "ByCustomer"}
    assert dynamodb_checks("Query", query, REGION, ACCOUNT) == [
        Check("dynamodb:Query", TABLE + "/index/ByCustomer")
    ]
    assert dynamodb_checks("GetItem", query, REGION, ACCOUNT) == [Check("dynamodb:GetItem", TABLE)]


# ------------------------------------------------------------------------------ the fixture app


@pytest.fixture(scope="module")
def iam_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running(IAM_TEMPLATE, "iamfx", state_dir=tmp_path_factory.mktemp("state"), spare_workers=0) as rt:
        yield rt


def admin(rt: Any, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=rt.endpoint_url,
        region_name=rt.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def error_of(rt: Any, function: str, event: dict[str, Any]) -> str:
    result = rt.invoke(function, event)
    assert result.function_error == "Unhandled", result.payload
    assert result.payload["errorType"] == "ClientError"
    return str(result.payload["errorMessage"])


def test_a_function_is_denied_what_its_role_does_not_allow(iam_runtime: Any, caplog: Any) -> None:
    rt, b_table = iam_runtime, iam_runtime.outputs["BTableName"]
    caplog.set_level(logging.WARNING, "orderflow.runtime")
    assert (
        rt.invoke("ScopedFunction", {"op": "put", "table": rt.outputs["ATableName"], "key": "a1"}).payload
        == "ok"
    )
    message = error_of(rt, "ScopedFunction", {"op": "get", "table": b_table, "key": "a1"})
    role = rt.resources["ScopedFunctionRole"]
    function = rt.functions["ScopedFunction"]
    b_arn = f"arn:aws:dynamodb:{rt.region}:{rt.account_id}:table/{b_table}"
    assert message == (
        "An error occurred (AccessDeniedException) when calling the GetItem operation: "
        f"User: arn:aws:sts::{rt.account_id}:assumed-role/{role}/{function} is not authorized to perform: "
        f"dynamodb:GetItem on resource: {b_arn} "
        "because no identity-based policy allows the dynamodb:GetItem action"
    )
    # the function's log has it, and the runtime names function, action, resource and a statement once
    log_text = (rt.state_dir / "logs" / "ScopedFunction.log").read_text()
    assert "AccessDeniedException" in log_text
    error_of(rt, "ScopedFunction", {"op": "get", "table": b_table, "key": "again"})
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("IAM denied ScopedFunction")]
    assert len(lines) == 1, lines
    assert f"dynamodb:GetItem on {b_arn}" in lines[0]
    suggested = json.loads(lines[0].split("would allow: ", 1)[1])
    assert suggested == {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": b_arn}


def test_an_explicit_deny_wins_over_the_crud_policy(iam_runtime: Any) -> None:
    rt, a_table = iam_runtime, iam_runtime.outputs["ATableName"]
    assert rt.invoke("DenyFunction", {"op": "get", "table": a_table, "key": "nope"}).function_error is None
    message = error_of(rt, "DenyFunction", {"op": "put", "table": a_table, "key": "denied"})
    assert "dynamodb:PutItem on resource: " in message
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert "Item" not in admin(rt, "dynamodb").get_item(TableName=a_table, Key={"pk": {"S": "denied"}})


def test_a_wildcard_resource_reaches_every_table(iam_runtime: Any) -> None:
    rt = iam_runtime
    for table in (rt.outputs["ATableName"], rt.outputs["BTableName"]):
        assert rt.invoke("WildcardFunction", {"op": "get", "table": table, "key": "k"}).function_error is None
    assert "dynamodb:PutItem" in error_of(
        rt, "WildcardFunction", {"op": "put", "table": rt.outputs["BTableName"], "key": "k"}
    )


def test_a_gsi_query_needs_the_index_arn(iam_runtime: Any) -> None:
    rt, a_table = iam_runtime, iam_runtime.outputs["ATableName"]
    assert isinstance(rt.invoke("IndexFunction", {"op": "query_index", "table": a_table}).payload, int)
    index_arn = f"arn:aws:dynamodb:{rt.region}:{rt.account_id}:table/{a_table}/index/ByKind"
    message = error_of(rt, "ScopedFunction", {"op": "query_index", "table": a_table})
    assert f"dynamodb:Query on resource: {index_arn} because" in message


def test_a_denied_transaction_item_fails_the_execution_and_writes_nothing(iam_runtime: Any) -> None:
    rt = iam_runtime
    tables = [rt.outputs["ATableName"], rt.outputs["BTableName"]]
    sfn = admin(rt, "stepfunctions")
    result = run_execution(sfn, rt.outputs["FlowArn"], {"op": "transact", "tables": tables, "key": "tx-1"})
    assert result["status"] == "FAILED"
    assert result["error"] == "ClientError"
    assert "AccessDeniedException" in result["cause"] and "dynamodb:PutItem on resource: " in result["cause"]
    history = sfn.get_execution_history(executionArn=result["executionArn"])["events"]
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert (
        failed
        and "not authorized to perform: dynamodb:PutItem" in failed[0]["taskFailedEventDetails"]["cause"]
    )
    dynamodb = admin(rt, "dynamodb")
    for table in tables:
        assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "tx-1"}})


def test_the_template_s_managed_policies_are_attached_with_their_documents(iam_runtime: Any) -> None:
    iam = admin(iam_runtime, "iam")
    role = iam_runtime.resources["ScopedFunctionRole"]
    attached = sorted(
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    )
    assert attached == ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"]


def test_any_other_key_is_the_administrator(iam_runtime: Any) -> None:
    dynamodb = admin(iam_runtime, "dynamodb")
    dynamodb.put_item(TableName=iam_runtime.outputs["BTableName"], Item={"pk": {"S": "admin"}})
    assert dynamodb.get_item(TableName=iam_runtime.outputs["BTableName"], Key={"pk": {"S": "admin"}})["Item"]


def test_the_state_machine_s_integrations_run_as_its_role(iam_runtime: Any, caplog: Any) -> None:
    rt = iam_runtime
    caplog.set_level(logging.WARNING, "orderflow.runtime")
    iam = admin(rt, "iam")
    role = rt.resources["FlowRole"]
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=role, PolicyName="deny-lambda", PolicyDocument=json.dumps(deny))
    event = {"op": "get", "table": rt.outputs["ATableName"], "key": "k"}
    sfn = admin(rt, "stepfunctions")
    try:
        result = run_execution(sfn, rt.outputs["FlowArn"], event)
        assert result["status"] == "FAILED"
        assert result["error"] == "Lambda.AccessDeniedException"
        assert f"assumed-role/{role}/" in result["cause"]
        assert "with an explicit deny in an identity-based policy" in result["cause"]
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("IAM denied Flow ")]
        assert (
            len(lines) == 1 and f":function:{rt.functions['ScopedFunction']} (an explicit Deny)" in lines[0]
        )
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="deny-lambda")
    assert run_execution(sfn, rt.outputs["FlowArn"], event)["status"] == "SUCCEEDED"
