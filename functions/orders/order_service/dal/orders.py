"""The order write (WriteOrder): stock decrements and the order put in ONE TransactWriteItems.

Either every product's stock goes down and the order exists, or nothing changed. The order put is
conditioned on ``attribute_not_exists(orderId)``, so a task retried after a commit (the response was
lost, the Lambda timed out) cannot decrement the stock twice: the whole transaction is cancelled and
the caller reads back the order that the first attempt wrote.
"""

import uuid
from typing import Any

from botocore.exceptions import ClientError
from orderflow_common.dynamodb_items import from_attribute_values, to_attribute_value, to_attribute_values
from orderflow_common.errors import TransientServiceError, error_code
from orderflow_common.observability import tracer

from order_service.dal.aws import transient_errors
from order_service.dal.order_reader import OrderReader
from order_service.errors import OrderAlreadyWritten, OutOfStock, ProductNotFound, Shortage
from order_service.models import Order

TOKEN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:orderflow:order-transaction")
# CancellationReasons codes worth another attempt of the task.
TRANSIENT_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


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

    def __init__(self, orders_table: str, products_table: str, client: Any = None) -> None:
        super().__init__(orders_table, client)
        self.products_table = products_table

    def _transact_items(self, order: Order) -> list[dict[str, Any]]:
        updates = [
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
        put = {
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
        try:
            with transient_errors("TransactWriteItems"):
                self.client.transact_write_items(
                    TransactItems=self._transact_items(order),
                    ClientRequestToken=client_request_token(order),
                )
        except ClientError as exc:
            code = error_code(exc)
            if code == "TransactionCanceledException":
                self._raise_cancellation(exc, order)
            if code == "IdempotentParameterMismatchException":
                # Same token, other parameters: only possible if this order was written already.
                raise OrderAlreadyWritten(order.orderId) from exc
            raise

    @staticmethod
    def _raise_cancellation(exc: ClientError, order: Order) -> None:
        reasons = exc.response.get("CancellationReasons") or []
        if len(reasons) != len(order.items) + 1:
            raise exc
        codes = [reason.get("Code") for reason in reasons]
        if codes[-1] == "ConditionalCheckFailed":
            raise OrderAlreadyWritten(order.orderId) from exc
        missing: list[str] = []
        shortages: list[Shortage] = []
        for line, reason in zip(order.items, reasons, strict=False):
            if reason.get("Code") != "ConditionalCheckFailed":
                continue
            old = from_attribute_values(reason.get("Item") or {})
            if not old:
                missing.append(line.productId)
            else:
                shortages.append(Shortage(line.productId, line.quantity, int(old.get("stock", 0))))
        if missing:
            raise ProductNotFound(missing) from exc
        if shortages:
            raise OutOfStock(shortages) from exc
        if TRANSIENT_CANCELLATION_CODES.intersection(codes):
            raise TransientServiceError(
                f"TransactWriteItems cancelled: {', '.join(map(str, codes))}"
            ) from exc
        raise exc
