"""Products table reads (CheckStock): one BatchGetItem for the whole order."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from orderflow_common.aws_errors import transient_errors
from orderflow_common.dynamodb_items import from_attribute_values
from orderflow_common.errors import TransientServiceError
from orderflow_common.observability import logger, tracer

from order_service.dal import dynamodb
from order_service.models import MAX_ITEMS, Product

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MAX_KEYS_PER_BATCH = 100  # BatchGetItem's limit; ValidateOrder caps an order at MAX_ITEMS products
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0
assert MAX_ITEMS <= MAX_KEYS_PER_BATCH


def max_attempts(client: Any) -> int:
    """The client's own retry budget (AWS_MAX_ATTEMPTS / retry config), reused for unprocessed keys."""
    retries = client.meta.config.retries or {}
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    return int(retries.get("max_attempts", 2)) + 1


class ProductCatalog:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self.client: DynamoDBClient = client or dynamodb.client

    @tracer.capture_method
    def get_products(self, product_ids: list[str]) -> dict[str, Product]:
        """Strongly consistent read of every product in one BatchGetItem; absent ids are absent keys.

        Keys DynamoDB leaves unprocessed (throttling, response size) are asked again with exponential
        backoff and full jitter, as many times as botocore would retry a request; what is still
        unprocessed then raises TransientServiceError so the workflow retries the task.
        """
        if len(product_ids) > MAX_KEYS_PER_BATCH:
            raise ValueError(f"at most {MAX_KEYS_PER_BATCH} products per BatchGetItem")
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": [{"productId": {"S": product_id}} for product_id in product_ids],
                "ConsistentRead": True,
            }
        }
        found: dict[str, Product] = {}
        attempts = max_attempts(self.client)
        for attempt in range(attempts):
            if attempt:
                time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))  # noqa: S311 - jitter
            with transient_errors("BatchGetItem"):
                response = self.client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self.table_name, []):
                product = Product.model_validate(from_attribute_values(raw))
                found[product.productId] = product
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
            logger.info(
                "BatchGetItem left keys unprocessed",
                extra={"unprocessed": len(request[self.table_name]["Keys"]), "attempt": attempt + 1},
            )
        raise TransientServiceError(f"BatchGetItem: keys still unprocessed after {attempts} attempts")
