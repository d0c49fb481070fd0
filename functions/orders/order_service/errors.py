"""Named exceptions of the order workflow.

Lambda reports an unhandled exception's class name as ``errorType``; ASL ``Catch`` matches
``ValidationError``, ``ProductNotFound`` and ``OutOfStock`` (the order ends REJECTED) and ``Retry``
matches ``TransientServiceError``. Any other name fails the execution, which is what a bug should do.
"""

from typing import NamedTuple

from orderflow_common.errors import TransientServiceError

__all__ = [
    "BadIdempotencyKey",
    "ContractError",
    "IdempotencyKeyReused",
    "OrderAlreadySubmitted",
    "OrderAlreadyWritten",
    "OrderNotFound",
    "OrderRejection",
    "OutOfStock",
    "ProductNotFound",
    "Shortage",
    "TransientServiceError",
    "ValidationError",
]


class OrderRejection(Exception):
    """A business rejection: the workflow catches it and the order ends REJECTED (nothing written)."""


class ValidationError(OrderRejection):
    """The order itself is malformed (missing customer, bad quantities, too many items...)."""


class ProductNotFound(OrderRejection):
    def __init__(self, product_ids: list[str]) -> None:
        self.product_ids = product_ids
        super().__init__(f"unknown product(s): {', '.join(product_ids)}")


class Shortage(NamedTuple):
    productId: str
    requested: int
    available: int


class OutOfStock(OrderRejection):
    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        details = "; ".join(
            f"{s.productId}: requested {s.requested}, available {s.available}" for s in shortages
        )
        super().__init__(f"out of stock: {details}")


class ContractError(Exception):
    """A task payload or a stored item broke its schema: a bug or corrupt data, never a rejection.

    Pydantic's own exception is also called ``ValidationError``; letting it escape a task would make
    the workflow reject the order as if the customer had sent it. The task wrapper converts it to this.
    """


class OrderAlreadyWritten(Exception):
    """WriteOrder found the order already in the table: an earlier attempt of the task committed it."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} is already written")


class OrderAlreadySubmitted(Exception):
    """POST /orders with an order id whose execution already exists (with another input, or closed)."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} already exists")


class OrderNotFound(Exception):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} not found")


class BadIdempotencyKey(Exception):
    """The Idempotency-Key header is not a valid order id, or differs from the body's orderId."""


class IdempotencyKeyReused(Exception):
    """POST /orders with an idempotency key (or orderId) already used for a different order."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"the idempotency key {order_id} was already used for a different order; "
            "send a new key for a new order"
        )
