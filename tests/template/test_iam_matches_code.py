"""Each function's IAM policy grants exactly the AWS actions its code calls (derived from the code)."""

from __future__ import annotations

import copy
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import load_template
from tests.template.iam_from_code import actions_for_handler
from tests.template.sam_offline import transform
from tests.template.template_support import ROOT

# (function logical id, IAM action) -> why the template may grant it although the code never calls it.
_STREAM_POLLER = "the mailer's event source mapping reads the Users stream with the function's role"
ALLOWED_EXTRA: dict[tuple[str, str], str] = {
    **{
        ("UserStreamMailerFunction", f"dynamodb:{action}"): _STREAM_POLLER
        for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
    },
    ("UserStreamMailerFunction", "sqs:SendMessage"): (
        "the mapping's OnFailure destination receives failed batches with the function's role"
    ),
}


def serverless_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def code_roots(template: dict[str, Any], function: str) -> list[Path]:
    """The function's CodeUri and the ContentUri of every layer it gets (Globals included)."""
    props = template["Resources"][function]["Properties"]
    layers = [*template.get("Globals", {}).get("Function", {}).get("Layers", []), *props.get("Layers", [])]
    roots = [ROOT / props["CodeUri"]]
    for layer in layers:
        if isinstance(layer, dict) and "Ref" in layer:
            resource = template["Resources"][layer["Ref"]]
            if resource["Type"] == "AWS::Serverless::LayerVersion":
                roots.append(ROOT / resource["Properties"]["ContentUri"])
    return roots


def role_actions(cfn: dict[str, Any], function: str) -> tuple[set[str], set[str]]:
    """(actions from the function's own Policies, actions SAM generated for its events) of its role."""
    role_name = cfn["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    own, generated = set(), set()
    for policy in cfn["Resources"][role_name]["Properties"].get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        actions = {
            action
            for statement in (statements if isinstance(statements, list) else [statements])
            if statement.get("Effect") == "Allow"
            for action in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            )
        }
        is_own = re.fullmatch(rf"{re.escape(role_name)}Policy\d+", policy["PolicyName"])
        (own if is_own else generated).update(actions)
    return own, generated


def policy_problems(
    function: str, code: dict[str, list[str]], own: set[str], generated: set[str]
) -> list[str]:
    problems = [
        f"{function}: code calls {action} ({'; '.join(code[action][:3])}) but the policy does not grant it"
        for action in sorted(set(code) - own - generated)
    ]
    for action in sorted(own - set(code)):
        if (function, action) in ALLOWED_EXTRA:
            continue
        hint = " (SAM already grants it for the function's event)" if action in generated else ""
        problems.append(
            f"{function}: policy grants {action} but no code reached from the handler calls it{hint}"
        )
    return problems


def check_function(template: dict[str, Any], cfn: dict[str, Any], function: str) -> list[str]:
    props = template["Resources"][function]["Properties"]
    scan = actions_for_handler(props["Handler"], code_roots(template, function))
    own, generated = role_actions(cfn, function)
    return [f"{function}: {p}" for p in scan.problems] + policy_problems(
        function, scan.actions, own, generated
    )


@pytest.mark.parametrize("function", sorted(serverless_functions(load_template())))
def test_policy_grants_exactly_what_the_code_calls(template, transformed, function):
    assert check_function(template, transformed, function) == []


def test_allow_list_names_real_functions(template):
    assert {fn for fn, _ in ALLOWED_EXTRA} <= set(serverless_functions(template))


def test_policy_check_reports_a_missing_and_an_extra_action(template):
    """On a broken copy: CheckStock loses BatchGetItem and gains Scan."""
    broken = copy.deepcopy(template)
    statement = broken["Resources"]["CheckStockFunction"]["Properties"]["Policies"][0]["Statement"][0]
    statement["Action"] = ["dynamodb:Scan"]
    problems = check_function(broken, transform(broken), "CheckStockFunction")
    assert len(problems) == 2, problems
    assert problems[0].startswith("CheckStockFunction: code calls dynamodb:BatchGetItem")
    assert problems[1].startswith("CheckStockFunction: policy grants dynamodb:Scan but no code")


# ------------------------------------------------------------------ the scanner itself, on a made-up package


def write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def fake_code(tmp_path: Path) -> list[Path]:
    write(
        tmp_path / "svc",
        {
            "shop/__init__.py": "",
            "shop/handlers/__init__.py": "",
            "shop/handlers/place.py": """
                from typing import TYPE_CHECKING
                from ..dal import orders
                from shop.dal.queue import publish
                from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
                if TYPE_CHECKING:
                    from shop.dal import admin

                def handler(event, context):
                    return orders.place(event)
            """,
            "shop/dal/__init__.py": "",
            "shop/dal/orders.py": """
                import boto3
                from common.aws import client
                dynamodb = boto3.resource("dynamodb")
                def place(order):
                    items = [{"Update": {"Key": 1}}, {"ConditionCheck": {"Key": 2}}]
                    dynamodb.meta.client.transact_write_items(TransactItems=items)
                    for page in client.get_paginator("query").paginate():
                        pass
                    with dynamodb.Table("t").batch_writer() as batch:
                        batch.put_item(Item={})
            """,
            "shop/dal/queue.py": """
                from common.aws import aws_client
                def publish(messages):
                    aws_client(service_name="sqs").send_message_batch(QueueUrl="q", Entries=messages)
                    "text".format()
            """,
            "shop/dal/admin.py": """
                import boto3
                boto3.client("dynamodb").delete_table(TableName="t")
            """,
            "shop/handlers/status.py": """
                import boto3
                sfn = boto3.client("stepfunctions")
                def handler(event, context):
                    return sfn.describe_execution(executionArn=event["arn"])
            """,
        },
    )
    write(
        tmp_path / "layer",
        {
            "common/__init__.py": "",
            "common/aws.py": """
                import boto3
                client = None
                def aws_client(service_name):
                    return boto3.client(service_name)
            """,
        },
    )
    return [tmp_path / "svc", tmp_path / "layer"]


def test_scanner_follows_the_handler_imports_only(fake_code):
    scan = actions_for_handler("shop.handlers.place.handler", fake_code)
    assert scan.problems == []
    assert sorted(scan.actions) == [
        "dynamodb:BatchWriteItem",  # Table.batch_writer()
        "dynamodb:ConditionCheckItem",  # TransactWriteItems with a ConditionCheck item
        "dynamodb:DeleteItem",  # Powertools idempotency
        "dynamodb:GetItem",  # Powertools idempotency
        "dynamodb:PutItem",  # idempotency, and batch.put_item
        "dynamodb:Query",  # get_paginator("query")
        "dynamodb:UpdateItem",  # TransactWriteItems with an Update item, and idempotency
        "sqs:SendMessage",  # SendMessageBatch is authorised by sqs:SendMessage
    ]
    assert "shop.dal.admin" not in scan.modules  # imported only for type checking
    assert "common.aws" in scan.modules  # from the layer


def test_scanner_attributes_a_shared_package_per_handler(fake_code):
    scan = actions_for_handler("shop.handlers.status.handler", fake_code)
    assert scan.actions == {"states:DescribeExecution": ["shop.handlers.status:5 .describe_execution("]}


def test_scanner_reports_a_missing_handler_module(fake_code):
    scan = actions_for_handler("shop.handlers.gone.handler", fake_code)
    assert scan.problems and "shop.handlers.gone not found" in scan.problems[0]


def test_scanner_reports_a_transaction_it_cannot_see_into(tmp_path):
    write(
        tmp_path,
        {
            "h.py": """
                import boto3
                def handler(event, context):
                    boto3.client("dynamodb").transact_write_items(TransactItems=event["items"])
            """
        },
    )
    scan = actions_for_handler("h.handler", [tmp_path])
    assert scan.problems == [
        "h:4 .transact_write_items(: no Put/Update/Delete/ConditionCheck item found in the code"
    ]
