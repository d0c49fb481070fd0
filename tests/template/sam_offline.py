"""Transform template.yaml with aws-sam-translator, offline.

SAM only needs S3 locations for local code paths at package time (``sam package`` uploads them), so
for the transform the local CodeUri/ContentUri are replaced with placeholder S3 URIs and the state
machine's DefinitionUri file is inlined as ``Definition`` (which is what the ASL file means; SAM turns
it into ``DefinitionString`` + ``DefinitionSubstitutions``). The pseudo parameters come from the
``parameter_values`` map and a region-only boto3 session; the AWS managed policy names SAM resolves
come from a fixed map instead of IAM ``ListPolicies``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest_socket
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ROOT = Path(__file__).resolve().parents[2]

REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"
STACK_NAME = "orderflow-test"

# The AWS managed policies the template may name in a Policies list (SAM's own defaults,
# AWSLambdaBasicExecutionRole etc., are built from the partition and never looked up).
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, name in [
        ("service-role/", "AWSLambdaBasicExecutionRole"),
        ("service-role/", "AWSLambdaDynamoDBExecutionRole"),
        ("service-role/", "AWSLambdaSQSQueueExecutionRole"),
        ("", "AWSXrayWriteOnlyAccess"),
    ]
}


class OfflinePolicyMap:
    """Stands in for samtranslator's ManagedPolicyLoader (which calls IAM); records every load."""

    def __init__(self, policies: dict[str, str] | None = None) -> None:
        self.policies = dict(MANAGED_POLICIES if policies is None else policies)
        self.loads = 0

    def load(self) -> dict[str, str]:
        self.loads += 1
        return self.policies


def offline_sam_template(template: dict[str, Any], root: Path = ROOT) -> dict[str, Any]:
    """A copy of ``template`` with local code paths as S3 URIs and DefinitionUri files inlined."""
    sam = copy.deepcopy(template)
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://offline-artifacts/{logical_id}.zip"
        elif kind == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = f"s3://offline-artifacts/{logical_id}.zip"
        elif kind == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            path = root / props.pop("DefinitionUri")
            props["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    return sam


def transform(
    template: dict[str, Any],
    parameter_values: dict[str, Any] | None = None,
    policy_map: OfflinePolicyMap | None = None,
    region: str = REGION,
) -> dict[str, Any]:
    """The CloudFormation template SAM produces for ``template`` (raises on any SAM error)."""
    values = {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::StackName": STACK_NAME,
        "AWS::Partition": "aws",
        **(parameter_values or {}),
    }
    loader = policy_map or OfflinePolicyMap()
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    # Sockets off while SAM runs: any attempt to reach AWS (IAM, S3) fails the test instead.
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        return translator.translate(
            offline_sam_template(template),
            parameter_values=values,
            get_managed_policy_map=loader.load,
        )
    finally:
        pytest_socket.enable_socket()
