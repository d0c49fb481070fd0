"""Create the template's own tables and queues inside moto, for unit tests.

The schema is never written twice: the resources are cut out of template.yaml (parameters and
conditions included) and created through moto's CloudFormation, which resolves !Ref/!If itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import boto3

from orderflow.runtime.deploy import load_template as runtime_load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DATA_RESOURCE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue"})


def local_client(service: str, endpoint_url: str, *, resource: bool = False) -> Any:
    """A plain boto3 client (or resource) for an embedded endpoint, built as any tool outside the
    runtime would build it: endpoint_url, a region and dummy credentials."""
    factory = boto3.resource if resource else boto3.client
    return factory(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml parsed as the runtime parses it (cached: tests must not modify it)."""
    return runtime_load_template(path)


def data_stack_template(logical_ids: set[str] | None = None) -> dict[str, Any]:
    """The template reduced to its tables and queues (optionally only ``logical_ids``)."""
    full = load_template()
    resources = {
        name: resource
        for name, resource in full["Resources"].items()
        if resource["Type"] in DATA_RESOURCE_TYPES and (logical_ids is None or name in logical_ids)
    }
    reduced: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    for section in ("Parameters", "Conditions"):
        if section in full:
            reduced[section] = full[section]
    return reduced


def create_data_resources(
    stack_name: str = "unit", logical_ids: set[str] | None = None, region: str = "us-east-1"
) -> dict[str, str]:
    """Create the template's tables/queues in the active moto mock; returns logical id -> physical id.

    Physical ids are table names and queue URLs, exactly what the template's !Ref gives a function.
    """
    cfn = boto3.client("cloudformation", region_name=region)
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(data_stack_template(logical_ids)))
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"data stack {stack_name} is {stack['StackStatus']}")
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
