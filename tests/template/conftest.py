"""Fixtures for the template-level tests: the parsed template, the ASL file, the offline SAM transform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from asl_checks import substitute
from sam_offline import ACCOUNT_ID, REGION, STACK_NAME, transform
from support.aws import load_template

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "order_workflow.asl.json"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    return json.loads(ASL_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation SAM makes of template.yaml (offline: sockets are disabled meanwhile)."""
    return transform(template)


def fake_value(value: Any, template: dict[str, Any]) -> str:
    """What CloudFormation would put in for a DefinitionSubstitutions value, in a fake account."""
    if isinstance(value, str):
        return value
    resources = template["Resources"]
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    if "Ref" in value:
        name = value["Ref"]
        if name in template.get("Parameters", {}):
            return str(template["Parameters"][name]["Default"])
        kind = resources[name]["Type"]
        physical = f"{STACK_NAME}-{name}"
        return {
            "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{physical}",
            "AWS::DynamoDB::Table": physical,
            "AWS::Serverless::Function": physical,
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{physical}",
        }[kind]
    if "Fn::GetAtt" in value:
        name, attribute = value["Fn::GetAtt"]
        kind, physical = resources[name]["Type"], f"{STACK_NAME}-{name}"
        return {
            ("AWS::Serverless::Function", "Arn"): f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{physical}",
            ("AWS::SQS::Queue", "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{physical}",
            ("AWS::DynamoDB::Table", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{physical}",
        }[(kind, attribute)]
    raise AssertionError(f"teach fake_value about {value}")


@pytest.fixture(scope="module")
def substitutions(template) -> dict[str, Any]:
    return template["Resources"]["OrderWorkflow"]["Properties"]["DefinitionSubstitutions"]


@pytest.fixture(scope="module")
def deployed_definition(template, substitutions) -> str:
    """The definition as Step Functions receives it: placeholders substituted."""
    values = {name: fake_value(value, template) for name, value in substitutions.items()}
    return substitute(ASL_PATH.read_text(encoding="utf-8"), values)
