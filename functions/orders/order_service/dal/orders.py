"""The order write (WriteOrder): stock decrements and the order put in ONE TransactWriteItems.

Either every product's stock goes down and the order exists, or nothing changed. The order put is
conditioned on ``attribute_not_exists(orderId)``, so a task retried after a commit (the response was
lost, the Lambda timed out) cannot decrement the stock twice: the whole transaction is cancelled and
the caller reads back the order that the first attempt wrote.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from orderflow_common.aws_errors import error_code, transaction_cancellation, transient_errors
from orderflow_common.dynamodb_items import to_attribute_value, to_attribute_values
from orderflow_common.errors import TransientServiceError
from orderflow_common.observability import tracer

from order_service.dal.order_reader import OrderReader
from order_service.errors import OrderAlreadyWritten, OutOfStock, ProductNotFound, Shortage
from order_service.models import Order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TOKEN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:orderflow:order-transaction")


def client_request_token(order: Order) -> str:
    """Deterministic per order id AND write attempt (its createdAt).

    botocore resends the identical request (same token) when a response is lost, and DynamoDB applies
    it once. A later attempt of the task carries a new createdAt: reusing the token with changed
    parameters would be refused with IdempotentParameterMismatch for 10 minutes, even when the first
    attempt never committed. Across attempts the order put's condition is the guard.
    """
    return str(uuid.uuid5(TOKEN_NAMESPACE, f"{order.orderId}\n{order.createdAt}"))


class OrderStore(OrderReader):
    """Writes orders (WriteOrder): the stock decrements and the order put in one transaction."""

    def __init__(self, orders_table: str, products_table: str, client: DynamoDBClient | None = None) -> None:
        super().__init__(orders_table, client)
        self.products_table = products_table

    def _transact_items(self, order: Order) -> list[TransactWriteItemTypeDef]:
        updates: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.products_table,
                    "Key": {"productId": {"S": line.productId}},
                    "UpdateExpression": "SET stock = stock - :q",
                    "ConditionExpression": "attribute_exists(productId) AND stock >= :q",
                    "ExpressionAttributeValues": {":q": to_attribute_value(line.quantity)},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for line in order.items
        ]
        put: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self.orders_table,
                "Item": to_attribute_values(order.model_dump()),
                "ConditionExpression": "attribute_not_exists(orderId)",
            }
        }
        return [*updates, put]  # the order put is last: CancellationReasons[-1]

    @tracer.capture_method
    def create(self, order: Order) -> None:
        """Decrement every line's stock and put the order, atomically.

        Raises OrderAlreadyWritten (an earlier attempt committed), OutOfStock (a product's stock is
        below its quantity now), ProductNotFound (a product was deleted since CheckStock),
        TransientServiceError (conflicts/throttling after retries).
        """
        with transient_errors("TransactWriteItems"):
            try:
                self.client.transact_write_items(
                    TransactItems=self._transact_items(order),
                    ClientRequestToken=client_request_token(order),
                )
            except ClientError as exc:
                if error_code(exc) == "TransactionCanceledException":
                    self._raise_cancellation(exc, order)
                if error_code(exc) == "IdempotentParameterMismatchException":
                    # Same token, other parameters: only possible if this order was written already.
                    raise OrderAlreadyWritten(order.orderId) from exc
                raise

    @staticmethod
    def _raise_cancellation(exc: ClientError, order: Order) -> None:
        cancellation = transaction_cancellation(exc, items=len(order.items) + 1)
        if cancellation is None:
            raise exc
        *lines, put = cancellation.reasons
        if put.condition_failed:
            raise OrderAlreadyWritten(order.orderId) from exc
        missing: list[str] = []
        shortages: list[Shortage] = []
        for line, reason in zip(order.items, lines, strict=True):
            if not reason.condition_failed:
                continue
            if not reason.item:
                missing.append(line.productId)
            else:
                shortages.append(Shortage(line.productId, line.quantity, int(reason.item.get("stock", 0))))
        if missing:
            raise ProductNotFound(missing) from exc
        if shortages:
            raise OutOfStock(shortages) from exc
        # A concurrent write to the same items, or throttling: worth another attempt of the task.
        if cancellation.conflict or cancellation.throttled:
            raise TransientServiceError(
                f"TransactWriteItems cancelled: {', '.join(cancellation.codes)}"
            ) from exc
        raise exc
