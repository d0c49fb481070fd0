"""No account, region, table name or partition baked into code, ASL or template; least-privilege roles."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.template.asl_checks import LAMBDA_INVOKE
from tests.template.sam_offline import transform
from tests.template.template_support import ROOT

ACCOUNT_ID = re.compile(r"(?<![\w.])\d{12}(?![\w.])")
REGION_NAME = re.compile(
    r"\b(?:us-gov|us|eu|ap|sa|ca|me|af|il|mx|cn)-"
    r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d\b"
)
LITERAL_PARTITION_ARN = re.compile(r"arn:aws(?:-[a-z-]+)?:[a-z0-9-]*:[^\s\"']*")
NAME_SETTINGS = re.compile(r"(?i)(table_?name|queue_?url|queue_?name|_arn|^arn|bucket|topic)$")
NAME_KWARGS = frozenset(
    {"TableName", "QueueUrl", "QueueName", "StateMachineArn", "stateMachineArn", "TopicArn"}
)
NAMED_PROPERTIES = frozenset(
    {"TableName", "QueueName", "FunctionName", "StateMachineName", "LogGroupName", "RoleName", "TopicName"}
)
SCOPED_SERVICES = ("dynamodb:", "sqs:", "ses:", "states:", "lambda:")
ORDER_FUNCTIONS = {"ValidateOrderFunction", "CheckStockFunction", "WriteOrderFunction", "NotifyOrderFunction"}


def code_files() -> list[Path]:
    return sorted(p for p in (ROOT / "functions").rglob("*.py") if "__pycache__" not in p.parts)


def scanned_files() -> list[Path]:
    return [*code_files(), *sorted((ROOT / "statemachines").glob("*.json")), ROOT / "template.yaml"]


# ------------------------------------------------------------------ text scans


def literal_findings(text: str) -> list[str]:
    findings = []
    for lineno, line in enumerate(text.splitlines(), 1):
        findings += [f"line {lineno}: account id {m.group()}" for m in ACCOUNT_ID.finditer(line)]
        findings += [f"line {lineno}: region {m.group()}" for m in REGION_NAME.finditer(line)]
        # Service integrations too: arn:${Partition}:states:::lambda:invoke (aws-cn, aws-us-gov)
        findings += [
            f"line {lineno}: literal-partition ARN {m.group()}" for m in LITERAL_PARTITION_ARN.finditer(line)
        ]
    return findings


def python_name_findings(source: str) -> list[str]:
    """Resource names written into code instead of read from the environment."""
    findings = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in NAME_KWARGS and isinstance(keyword.value, ast.Constant):
                    findings.append(f"line {node.lineno}: {keyword.arg}={keyword.value.value!r}")
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            args = node.args
            if name == "Table" and args and isinstance(args[0], ast.Constant):
                findings.append(f"line {node.lineno}: Table({args[0].value!r})")
            # os.environ.get("ORDERS_TABLE_NAME", "orders") / os.getenv(..., default)
            constants = [a.value for a in args if isinstance(a, ast.Constant)]
            if name in {"get", "getenv"} and len(args) == len(constants) == 2:
                variable, default = constants
                if isinstance(variable, str) and NAME_SETTINGS.search(variable):
                    findings.append(f"line {node.lineno}: default {default!r} for {variable}")
        # class Settings(BaseModel): orders_table_name: str = "orders"
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and NAME_SETTINGS.search(node.target.id)
        ):
            findings.append(f"line {node.lineno}: default {node.value.value!r} for {node.target.id}")
    return findings


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_account_region_or_partition_literals(path):
    text = path.read_text(encoding="utf-8")
    findings = literal_findings(text)
    assert findings == [], f"{path.relative_to(ROOT)}: {findings}"


@pytest.mark.parametrize("path", code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_resource_names_in_code(path):
    findings = python_name_findings(path.read_text(encoding="utf-8"))
    assert findings == [], f"{path.relative_to(ROOT)}: {findings}"


def test_template_gives_no_resource_a_fixed_name(template):
    """Fixed physical names stop two stacks (or a replacement) from coexisting in one account."""
    fixed = [
        f"{name}.{prop}={value!r}"
        for name, resource in template["Resources"].items()
        for prop, value in resource.get("Properties", {}).items()
        if prop in NAMED_PROPERTIES
        and (isinstance(value, str) or "AWS::StackName" not in json.dumps(value))
        and not (isinstance(value, dict) and value.keys() & {"Ref", "Fn::GetAtt"})  # names another resource
    ]
    assert fixed == []


def test_text_scans_catch_what_they_should():
    text = "\n".join(
        [
            'client = boto3.client("sqs", region_name="us-east-1")',
            'ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"',
            '"Resource": "arn:aws:states:::lambda:invoke"',
            '"Resource": "arn:aws:lambda:::function:x"',
        ]
    )
    findings = literal_findings(text)
    assert findings == [
        "line 1: region us-east-1",
        "line 2: account id 123456789012",
        "line 2: region eu-west-1",
        "line 2: literal-partition ARN arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
        "line 3: literal-partition ARN arn:aws:states:::lambda:invoke",
        "line 4: literal-partition ARN arn:aws:lambda:::function:x",
    ]
    assert literal_findings('"arn:${Partition}:states:::lambda:invoke"') == []
    assert literal_findings("timeout_ms = 1209600; epoch = 1700000000000") == []


def test_name_scan_catches_what_it_should():
    source = "\n".join(
        [
            "import os",
            'table = resource.Table("orders")',
            'client.put_item(TableName="orders", Item={})',
            'os.environ.get("ORDERS_TABLE_NAME", "orders")',
            "class Settings:",
            '    notifications_queue_url: str = "https://sqs/q"',
            '    log_level: str = "INFO"',
            'client.put_item(TableName=settings.orders_table_name, Item={"k": "orders"})',
        ]
    )
    assert [f.split(":")[0] for f in python_name_findings(source)] == ["line 2", "line 3", "line 4", "line 6"]


# ------------------------------------------------------------------ IAM shape


def role_statements(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in cfn["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        elif resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            documents = [props["PolicyDocument"]]
        else:
            continue
        for document in documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def star_findings(cfn: dict[str, Any]) -> list[str]:
    findings = []
    for role, statement in role_statements(cfn):
        actions = [str(a) for a in as_list(statement.get("Action", []))]
        findings += [f"{role}: wildcard action {a}" for a in actions if a == "*" or a.endswith(":*")]
        if "*" in as_list(statement.get("Resource", [])):
            findings += [f"{role}: {a} on Resource '*'" for a in actions if a.startswith(SCOPED_SERVICES)]
    return findings


def test_no_data_or_workflow_action_on_every_resource(transformed):
    """Resource '*' only for actions that have no resource-level permissions (log delivery)."""
    assert star_findings(transformed) == []


# AWS managed policies a role may carry: their Resource "*" grants only log and trace delivery, which
# have no resource-level permissions. Anything else (e.g. AWSLambdaDynamoDBExecutionRole, attached by
# a SAM DynamoDB event: stream reads on every table) would slip past the statement check above.
LOG_AND_TRACE_POLICIES = frozenset({"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"})


def managed_policy_findings(cfn: dict[str, Any]) -> list[str]:
    findings = []
    for name, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for arn in resource["Properties"].get("ManagedPolicyArns", []):
            policy = str(arn).rsplit("/", 1)[-1]
            if policy not in LOG_AND_TRACE_POLICIES:
                findings.append(f"{name}: managed policy {policy}")
    return findings


def test_roles_carry_only_log_and_trace_managed_policies(transformed):
    assert managed_policy_findings(transformed) == []


def test_managed_policy_check_catches_a_sam_stream_event(template):
    broken = json.loads(json.dumps(template))
    mapping = broken["Resources"].pop("UserStreamMailerMapping")["Properties"]
    broken["Resources"]["UserStreamMailerFunction"]["Properties"]["Events"] = {
        "UsersStream": {
            "Type": "DynamoDB",
            "Properties": {"Stream": mapping["EventSourceArn"], "StartingPosition": "TRIM_HORIZON"},
        }
    }
    assert managed_policy_findings(transform(broken)) == [
        "UserStreamMailerFunctionRole: managed policy AWSLambdaDynamoDBExecutionRole"
    ]


def test_star_check_catches_a_wildcard_resource(transformed):
    broken = json.loads(json.dumps(transformed))
    role = broken["Resources"]["CheckStockFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    role["Statement"][0]["Resource"] = "*"
    assert star_findings(broken) == ["CheckStockFunctionRole: dynamodb:BatchGetItem on Resource '*'"]


def invoked_functions(policies: list[Any]) -> tuple[set[str], list[str]]:
    """(functions named in LambdaInvokePolicy, any other lambda:* grant) of a SAM Policies list."""
    invoked, other = set(), []
    for policy in policies:
        if isinstance(policy, dict) and "LambdaInvokePolicy" in policy:
            invoked.add(policy["LambdaInvokePolicy"]["FunctionName"]["Ref"])
        elif isinstance(policy, dict) and "Statement" in policy:
            for statement in as_list(policy["Statement"]):
                other += [a for a in as_list(statement.get("Action", [])) if str(a).startswith("lambda:")]
        else:
            other.append(json.dumps(policy))
    return invoked, other


def test_state_machine_may_invoke_exactly_its_four_functions(template):
    invoked, other = invoked_functions(template["Resources"]["OrderWorkflow"]["Properties"]["Policies"])
    assert invoked == ORDER_FUNCTIONS
    assert other == []


def test_state_machine_invokes_what_it_may_invoke(template, asl):
    """The Lambda tasks of the ASL call exactly the functions the role lets it invoke."""
    substitutions = template["Resources"]["OrderWorkflow"]["Properties"]["DefinitionSubstitutions"]
    called = set()
    for state in asl["States"].values():
        if LAMBDA_INVOKE.match(str(state.get("Resource", ""))):
            placeholder = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"])
            assert placeholder, state["Parameters"]["FunctionName"]
            called.add(substitutions[placeholder.group(1)]["Fn::GetAtt"][0])
    invoked, _ = invoked_functions(template["Resources"]["OrderWorkflow"]["Properties"]["Policies"])
    assert called == invoked


def test_invoke_check_catches_an_extra_grant():
    policies = [
        {"LambdaInvokePolicy": {"FunctionName": {"Ref": name}}} for name in sorted(ORDER_FUNCTIONS)
    ] + [{"Statement": [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": "x"}]}]
    assert invoked_functions(policies) == (ORDER_FUNCTIONS, ["lambda:InvokeFunction"])
    assert invoked_functions(["AWSLambdaRole"])[1] == ['"AWSLambdaRole"']
