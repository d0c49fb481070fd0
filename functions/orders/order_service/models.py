"""The payloads of the order workflow, one Pydantic model per contract.

    POST /orders body / execution input    OrderRequest
    ValidateOrder  in  ValidateOrderTask   out ValidatedOrder
    CheckStock     in  ValidatedOrder      out PricedOrder
    WriteOrder     in  PricedOrder         out Order (also the Orders table item)
    NotifyOrder    in  OrderNotification   out NotificationReceipt

The customer-facing models forbid unknown fields (a typo must not be ignored silently); the task
models between two of our own functions ignore them.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from order_service.money import Money

MAX_ITEMS = 50  # N product updates + 1 order put stay far below TransactWriteItems' 100 actions
# Units of one product in one order (after lines of the same product are merged). Far below
# DynamoDB's 38 digits: a quantity can never make a stock update or a line total inexact.
MAX_QUANTITY = 10_000
ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"  # also a valid Step Functions execution name


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError("must not contain control characters")
    return value


Identifier = Annotated[str, Field(strict=True, min_length=1, max_length=256), AfterValidator(_not_blank)]
OrderId = Annotated[str, Field(strict=True, pattern=ORDER_ID_PATTERN)]
# a customer's quantity: 2, never 2.0, "2" or true
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
LineQuantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]  # between our tasks, from DynamoDB (Decimal)


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    productId: Identifier
    quantity: Quantity


class OrderRequest(BaseModel):
    """What a customer submits: the POST /orders body, and the workflow's execution input."""

    model_config = ConfigDict(extra="forbid")

    orderId: OrderId | None = None
    customerId: Identifier
    items: Annotated[list[OrderItem], Field(min_length=1, max_length=MAX_ITEMS)]

    @model_validator(mode="after")
    def _bounded_per_product(self) -> Self:
        units: dict[str, int] = {}
        for item in self.items:
            units[item.productId] = units.get(item.productId, 0) + item.quantity
        over = [product for product, quantity in units.items() if quantity > MAX_QUANTITY]
        if over:
            raise ValueError(f"at most {MAX_QUANTITY} units per product in one order ({', '.join(over)})")
        return self


class ValidateOrderTask(BaseModel):
    """ValidateOrder's payload: ``{"order": <execution input>, "executionName": <name>}``."""

    order: Any = None
    executionName: str | None = None


class ValidatedOrder(BaseModel):
    """A normalised order: explicit orderId, one line per product."""

    orderId: OrderId
    customerId: Identifier
    items: Annotated[list[OrderItem], Field(min_length=1, max_length=MAX_ITEMS)]


class Product(BaseModel):
    """A Products table item (extra attributes are ignored)."""

    productId: str
    name: str
    price: Money
    stock: int


class PricedLine(BaseModel):
    productId: str
    name: str
    quantity: LineQuantity
    unitPrice: Money
    lineTotal: Money


class PricedOrder(BaseModel):
    orderId: OrderId
    customerId: Identifier
    items: Annotated[list[PricedLine], Field(min_length=1, max_length=MAX_ITEMS)]
    totalAmount: Money


class Order(PricedOrder):
    """A written order: the Orders table item and WriteOrder's result."""

    status: Literal["CONFIRMED"] = "CONFIRMED"
    createdAt: str  # ISO-8601 UTC with milliseconds, the CustomerOrdersIndex range key
    expiresAt: int  # epoch seconds, the table's TTL attribute


class OrderNotification(BaseModel):
    orderId: str
    customerId: str
    totalAmount: Money


class NotificationReceipt(BaseModel):
    messageId: str


class OrderAccepted(BaseModel):
    """POST /orders' 202 body."""

    orderId: str
    executionArn: str


class ExecutionSnapshot(BaseModel):
    """The parts of DescribeExecution (or of StartSyncExecution's answer) that the orders API reads."""

    status: str
    executionArn: str | None = None
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
