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
# moto replaces boto3's default session at every mock_aws() start (its reset_boto3_session
# default), so every client a test or a handler builds re-reads botocore's service models (~0.1 s
# per client). The tests' credentials are fake from the start, so the session can stay.
MOTO_CONFIG: dict[str, Any] = {"core": {"reset_boto3_session": False}}
DATA_RESOURCE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue"})


def local_client(
    service: str, endpoint_url: str, *, resource: bool = False, region: str = "us-east-1"
) -> Any:
    """A plain boto3 client (or resource) for an embedded endpoint, built as any tool outside the
    runtime would build it: endpoint_url, a region and dummy credentials."""
    factory = boto3.resource if resource else boto3.client
    return factory(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
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
    The first call for a (stack, resources, region) goes through moto's CloudFormation (which reads
    the template: parameters, conditions, !Ref); what it created is then described and kept as a
    recipe, and later calls (a fresh ``mock_aws`` per test) replay it with CreateTable/CreateQueue,
    which is ~20x faster than a CloudFormation stack per test.
    """
    key = (stack_name, frozenset(logical_ids) if logical_ids is not None else None, region)
    recipe = _RECIPES.get(key)
    if recipe is None:
        resources = _create_through_cloudformation(stack_name, logical_ids, region)
        _RECIPES[key] = _describe(resources, region)
        return resources
    return _replay(recipe, region)


_RECIPES: dict[tuple[str, frozenset[str] | None, str], list[tuple[str, str, dict[str, Any]]]] = {}
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
)


def _create_through_cloudformation(
    stack_name: str, logical_ids: set[str] | None, region: str
) -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name=region)
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(data_stack_template(logical_ids)))
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"data stack {stack_name} is {stack['StackStatus']}")
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def _describe(resources: dict[str, str], region: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(logical id, kind, how to create it again) for every table and queue, dead-letter queues first."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    tables, queues = [], []
    for logical_id, physical_id in resources.items():
        if physical_id.startswith("https://"):
            attributes = sqs.get_queue_attributes(QueueUrl=physical_id, AttributeNames=["All"])["Attributes"]
            spec = {
                "QueueName": physical_id.rsplit("/", 1)[1],
                "Attributes": {k: v for k, v in attributes.items() if k in _QUEUE_ATTRIBUTES},
            }
            queues.append((logical_id, "queue", spec))
            continue
        table = dynamodb.describe_table(TableName=physical_id)["Table"]
        spec = {
            "TableName": physical_id,
            "KeySchema": table["KeySchema"],
            "AttributeDefinitions": table["AttributeDefinitions"],
            "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        }
        if spec["BillingMode"] == "PROVISIONED":
            throughput = table["ProvisionedThroughput"]
            spec["ProvisionedThroughput"] = {
                "ReadCapacityUnits": throughput["ReadCapacityUnits"],
                "WriteCapacityUnits": throughput["WriteCapacityUnits"],
            }
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if table.get(kind):
                spec[kind] = [
                    {k: index[k] for k in ("IndexName", "KeySchema", "Projection")} for index in table[kind]
                ]
                if kind == "GlobalSecondaryIndexes" and "ProvisionedThroughput" in spec:
                    for index in spec[kind]:
                        index["ProvisionedThroughput"] = spec["ProvisionedThroughput"]
        if table.get("StreamSpecification", {}).get("StreamEnabled"):
            spec["StreamSpecification"] = table["StreamSpecification"]
        ttl = dynamodb.describe_time_to_live(TableName=physical_id)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") == "ENABLED":
            spec["_ttl"] = ttl["AttributeName"]
        tables.append((logical_id, "table", spec))
    queues.sort(key=lambda entry: "RedrivePolicy" in entry[2]["Attributes"])  # dead-letter queues first
    return tables + queues


def _replay(recipe: list[tuple[str, str, dict[str, Any]]], region: str) -> dict[str, str]:
    dynamodb = boto3.client("dynamodb", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    resources = {}
    for logical_id, kind, spec in recipe:
        if kind == "queue":
            resources[logical_id] = sqs.create_queue(**spec)["QueueUrl"]
            continue
        create = {k: v for k, v in spec.items() if k != "_ttl"}
        dynamodb.create_table(**create)
        if "_ttl" in spec:
            dynamodb.update_time_to_live(
                TableName=spec["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["_ttl"]},
            )
        resources[logical_id] = spec["TableName"]
    return resources
