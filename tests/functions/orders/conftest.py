"""Fixtures of the order-function tests: the template's tables/queue in moto, handlers wired to them.

Handler modules load their settings and clients at import, like a Lambda cold start, so each test
imports its handler afresh after setting the environment the template gives that function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

# Importing moto before the code under test creates its clients installs the botocore hook that
# routes their requests into the mock.
from moto import mock_aws

from tests.support.aws import MOTO_CONFIG, create_data_resources
from tests.support.lambda_env import REGION, LambdaContext, fresh_module

ROOT = Path(__file__).resolve().parents[3]
ASL = ROOT / "statemachines" / "order_workflow.asl.json"
ORDER_RESOURCES = {"ProductsTable", "OrdersTable", "OrderNotificationsQueue", "OrderNotificationsDlq"}


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(scope="module")
def _order_stack() -> Iterator[dict[str, str]]:
    """The order tables and queues of template.yaml, created once per test module (moto's
    CloudFormation takes a while), with the environment the template gives the order functions."""
    with mock_aws(config=MOTO_CONFIG), pytest.MonkeyPatch.context() as monkeypatch:
        resources = create_data_resources(stack_name="orders-unit", logical_ids=ORDER_RESOURCES)
        env = {
            "PRODUCTS_TABLE_NAME": resources["ProductsTable"],
            "ORDERS_TABLE_NAME": resources["OrdersTable"],
            "ORDER_RETENTION_DAYS": "730",
            "NOTIFICATIONS_QUEUE_URL": resources["OrderNotificationsQueue"],
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield resources


@pytest.fixture
def order_resources(_order_stack: dict[str, str]) -> dict[str, str]:
    """The template's order tables and queues, emptied: every test starts from a fresh deployment."""
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    for logical_id, key in (("ProductsTable", "productId"), ("OrdersTable", "orderId")):
        table = dynamodb.Table(_order_stack[logical_id])
        with table.batch_writer() as batch:
            for item in table.scan(ProjectionExpression=key)["Items"]:
                batch.delete_item(Key={key: item[key]})
    for logical_id in ("OrderNotificationsQueue", "OrderNotificationsDlq"):
        drain(_order_stack[logical_id])
    return _order_stack


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every visible message (PurgeQueue is allowed once a minute only)."""
    sqs = boto3.client("sqs", region_name=REGION)
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


@pytest.fixture
def received(order_resources: dict[str, str]) -> Callable[[str], list[dict[str, Any]]]:
    """received("OrderNotificationsQueue") -> the messages on that queue (taken off it)."""
    return lambda logical_id: drain(order_resources[logical_id])


@pytest.fixture
def products_table(order_resources: dict[str, str]) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(order_resources["ProductsTable"])


@pytest.fixture
def orders_table(order_resources: dict[str, str]) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(order_resources["OrdersTable"])


@pytest.fixture
def seed(products_table: Any) -> Callable[..., None]:
    def _seed(*products: dict[str, Any]) -> None:
        for item in products:
            products_table.put_item(Item=item)

    return _seed


@pytest.fixture
def stock_of(products_table: Any) -> Callable[[str], int]:
    def _stock(product_id: str) -> int:
        return int(
            products_table.get_item(Key={"productId": product_id}, ConsistentRead=True)["Item"]["stock"]
        )

    return _stock


@pytest.fixture
def check_stock(order_resources: dict[str, str]) -> ModuleType:
    return fresh_module("order_service.handlers.check_stock")


@pytest.fixture
def write_order(order_resources: dict[str, str]) -> ModuleType:
    return fresh_module("order_service.handlers.write_order")


@pytest.fixture
def notify_order(order_resources: dict[str, str]) -> ModuleType:
    return fresh_module("order_service.handlers.notify_order")


@pytest.fixture
def state_machine_arn(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The real order workflow ASL (substitutions filled with fake ARNs) as a moto state machine."""
    definition = ASL.read_text().replace("${Partition}", "aws")
    for name in ("ValidateOrder", "CheckStock", "WriteOrder", "NotifyOrder"):
        arn = f"arn:aws:lambda:{REGION}:123456789012:function:unit-{name}"
        definition = definition.replace(f"${{{name}FunctionArn}}", arn)
    definition = definition.replace(
        "${OrderNotificationsDlqUrl}", f"https://sqs.{REGION}.amazonaws.com/123456789012/unit-dlq"
    )
    assert "${" not in definition
    json.loads(definition)
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="unit-OrderWorkflow",
        definition=definition,
        roleArn="arn:aws:iam::123456789012:role/unit-OrderWorkflowRole",
    )["stateMachineArn"]
    monkeypatch.setenv("ORDER_WORKFLOW_ARN", arn)
    return arn


@pytest.fixture
def api_orders_table(state_machine_arn: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The template's Orders table in the same fresh account as the state machine (OrdersApi reads it
    once an execution is gone)."""
    resources = create_data_resources(
        stack_name="orders-api", logical_ids={"OrdersTable", "IdempotencyTable"}
    )
    monkeypatch.setenv("ORDERS_TABLE_NAME", resources["OrdersTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", resources["IdempotencyTable"])
    return resources["OrdersTable"]


@pytest.fixture
def orders_api(state_machine_arn: str, api_orders_table: str) -> ModuleType:
    return fresh_module("order_service.handlers.orders_api")


@pytest.fixture
def deserialize() -> Callable[[dict[str, Any]], dict[str, Any]]:
    deserializer = TypeDeserializer()
    return lambda item: {k: deserializer.deserialize(v) for k, v in item.items()}
