"""Reading the Orders table, in a module of its own: OrdersApi reads orders and must not be granted
(or look, to the IAM-from-code check, as if it made) WriteOrder's transactional writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderflow_common.aws_errors import transient_errors
from orderflow_common.dynamodb_items import from_attribute_values
from orderflow_common.observability import tracer

from order_service.dal import dynamodb
from order_service.models import Order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class OrderReader:
    """Reads the Orders table (OrdersApi reports an order whose execution is gone)."""

    def __init__(self, orders_table: str, client: DynamoDBClient | None = None) -> None:
        self.orders_table = orders_table
        self.client: DynamoDBClient = client or dynamodb.client

    @tracer.capture_method
    def get(self, order_id: str) -> Order | None:
        with transient_errors("GetItem"):
            response = self.client.get_item(
                TableName=self.orders_table, Key={"orderId": {"S": order_id}}, ConsistentRead=True
            )
        item = response.get("Item")
        return Order.model_validate(from_attribute_values(item)) if item else None
