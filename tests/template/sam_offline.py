"""Transform template.yaml with aws-sam-translator, offline.

SAM only needs S3 locations for local code paths at package time (``sam package`` uploads them), so
for the transform the local CodeUri/ContentUri are replaced with placeholder S3 URIs and the state
machine's DefinitionUri file is inlined as ``Definition`` (which is what the ASL file means; SAM turns
it into ``DefinitionString`` + ``DefinitionSubstitutions``). The pseudo parameters come from the
``parameter_values`` map; the transform itself, and the AWS managed policy names it resolves without
IAM ``ListPolicies``, are the local runtime's (``orderflow.runtime.deploy.sam_transform``), so these
tests check the transform the runtime deploys.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest_socket

from orderflow.runtime.deploy import OfflineManagedPolicyLoader, sam_transform

ROOT = Path(__file__).resolve().parents[2]

REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"
STACK_NAME = "orderflow-test"


class OfflinePolicyMap:
    """The runtime's offline managed-policy map (or ``policies``), counting how often SAM loads it."""

    def __init__(self, policies: dict[str, str] | None = None) -> None:
        self.policies = OfflineManagedPolicyLoader().load() if policies is None else dict(policies)
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
    """The CloudFormation template SAM produces for ``template`` through the runtime's own offline
    transform (raises on any SAM error)."""
    values = {"AWS::AccountId": ACCOUNT_ID, "AWS::StackName": STACK_NAME, **(parameter_values or {})}
    loader = policy_map or OfflinePolicyMap()
    # Sockets off while SAM runs: any attempt to reach AWS (IAM, S3) fails the test instead.
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        return sam_transform(
            offline_sam_template(template), values, region, get_managed_policy_map=loader.load
        )
    finally:
        pytest_socket.enable_socket()
