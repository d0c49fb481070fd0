"""What the template tests share: paths and the values CloudFormation would substitute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.template.sam_offline import ACCOUNT_ID, REGION, STACK_NAME

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "order_workflow.asl.json"


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
