"""WriteOrder: one TransactWriteItems (stock decrements + order put), idempotent across retries."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from order_service.dal.orders import TOKEN_NAMESPACE, client_request_token
from order_service.errors import (
    ContractError,
    OutOfStock,
    ProductNotFound,
    TransientServiceError,
    ValidationError,
)
from order_service.models import Order
from orderflow_common import clock
from orderflow_common.dynamodb_items import to_attribute_values

from tests.functions.orders.orders_support import product

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
def at(monkeypatch):
    """at(moment): the clock WriteOrder reads."""

    def _set(moment):
        monkeypatch.setattr(clock, "utcnow", lambda: moment)

    _set(T0)
    return _set


def priced(*lines, order_id="o-1"):
    """CheckStock's output for (productId, quantity, unitPrice) lines."""
    items = [
        {
            "productId": p,
            "name": f"Product {p}",
            "quantity": q,
            "unitPrice": price,
            "lineTotal": str(Decimal(price) * q),
        }
        for p, q, price in lines
    ]
    total = sum((Decimal(i["lineTotal"]) for i in items), Decimal(0))
    return {"orderId": order_id, "customerId": "c-1", "items": items, "totalAmount": str(total)}


def test_decrements_stock_and_writes_the_order(
    write_order, seed, stock_of, order_resources, deserialize, context, at
):
    seed(product("p-frother", "19.99", 10), product("p-cup", "7.50", 5))

    result = write_order.handler(priced(("p-frother", 3, "19.99"), ("p-cup", 5, "7.50")), context)

    assert stock_of("p-frother") == 7
    assert stock_of("p-cup") == 0
    expires = int((T0 + timedelta(days=730)).timestamp())
    assert result == {
        "orderId": "o-1",
        "customerId": "c-1",
        "items": [
            {
                "productId": "p-frother",
                "name": "Product p-frother",
                "quantity": 3,
                "unitPrice": "19.99",
                "lineTotal": "59.97",
            },
            {
                "productId": "p-cup",
                "name": "Product p-cup",
                "quantity": 5,
                "unitPrice": "7.50",
                "lineTotal": "37.50",
            },
        ],
        "totalAmount": "97.47",
        "status": "CONFIRMED",
        "createdAt": "2026-03-01T12:00:00.123Z",
        "expiresAt": expires,
    }
    raw = boto3.client("dynamodb").get_item(
        TableName=order_resources["OrdersTable"], Key={"orderId": {"S": "o-1"}}
    )["Item"]
    assert raw["totalAmount"] == {"N": "97.47"}  # a DynamoDB number, never a string or a float
    assert raw["expiresAt"] == {"N": str(expires)}  # the table's TTL attribute, epoch seconds
    assert raw["items"]["L"][0]["M"]["unitPrice"] == {"N": "19.99"}
    assert deserialize(raw)["status"] == "CONFIRMED"


def test_a_retried_task_does_not_decrement_twice_and_returns_the_first_write(
    write_order, seed, stock_of, context, at
):
    seed(product("p", "19.99", 10))
    payload = priced(("p", 3, "19.99"))
    first = write_order.handler(payload, context)

    at(T0 + timedelta(seconds=5))  # the retry runs later: a different createdAt, a different request
    second = write_order.handler(payload, context)

    assert stock_of("p") == 7
    assert second == first
    assert second["createdAt"] == "2026-03-01T12:00:00.123Z"


def test_an_order_id_reused_for_another_order_is_rejected_and_changes_nothing(
    write_order, seed, stock_of, context, at
):
    seed(product("p", "19.99", 10), product("q", "2.00", 10))
    first = write_order.handler(priced(("p", 3, "19.99")), context)

    at(T0 + timedelta(days=91))  # e.g. an execution name reused once Step Functions forgot it
    with pytest.raises(ValidationError, match="orderId o-1 is already used by another order"):
        write_order.handler(priced(("q", 1, "2.00")), context)

    assert (stock_of("p"), stock_of("q")) == (7, 10)
    assert write_order.orders.get("o-1").model_dump(mode="json") == first


def test_stock_that_moved_since_check_stock_rejects_and_writes_nothing(
    write_order, seed, stock_of, orders_table, context, at
):
    seed(product("p-cup", "7.50", 400), product("p-grinder", "129.00", 1))
    with pytest.raises(OutOfStock) as raised:
        write_order.handler(priced(("p-cup", 2, "7.50"), ("p-grinder", 3, "129.00")), context)
    assert str(raised.value) == "out of stock: p-grinder: requested 3, available 1"
    assert stock_of("p-cup") == 400  # the whole transaction was cancelled
    assert "Item" not in orders_table.get_item(Key={"orderId": "o-1"})


def test_a_product_deleted_since_check_stock_is_product_not_found(
    write_order, seed, orders_table, context, at
):
    seed(product("p-cup", "7.50", 400))
    with pytest.raises(ProductNotFound, match="p-gone"):
        write_order.handler(priced(("p-cup", 1, "7.50"), ("p-gone", 1, "1.00")), context)
    assert "Item" not in orders_table.get_item(Key={"orderId": "o-1"})


def test_transaction_conflict_is_a_transient_service_error(write_order, context, at):
    with Stubber(write_order.orders.client) as stub:
        stub.add_client_error(
            "transact_write_items",
            "TransactionCanceledException",
            "Transaction cancelled",
            modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]},
        )
        with pytest.raises(TransientServiceError, match="TransactionConflict"):
            write_order.handler(priced(("p", 1, "1.00")), context)


def test_throttling_after_botocore_retries_is_a_transient_service_error(write_order, context, at):
    with Stubber(write_order.orders.client) as stub:
        stub.add_client_error("transact_write_items", "ThrottlingException", http_status_code=400)
        with pytest.raises(TransientServiceError, match="ThrottlingException"):
            write_order.handler(priced(("p", 1, "1.00")), context)


def test_idempotent_parameter_mismatch_returns_the_order_already_written(write_order, seed, context, at):
    seed(product("p", "1.00", 5))
    first = write_order.handler(priced(("p", 1, "1.00")), context)
    stored = to_attribute_values(Order.model_validate(first).model_dump())
    at(T0 + timedelta(seconds=1))
    with Stubber(write_order.orders.client) as stub:
        stub.add_client_error("transact_write_items", "IdempotentParameterMismatchException")
        stub.add_response("get_item", {"Item": stored})
        assert write_order.handler(priced(("p", 1, "1.00")), context) == first


@pytest.fixture
def sent_transactions(write_order):
    """The TransactWriteItems requests the handler's client sends (as built, before signing)."""
    sent = []

    def capture(params, **_kwargs):
        sent.append(params)

    events = write_order.orders.client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", capture)
    yield sent
    events.unregister("before-parameter-build.dynamodb.TransactWriteItems", capture)


def test_one_transaction_with_a_conditional_update_per_product_and_a_conditional_put(
    write_order, seed, order_resources, sent_transactions, context, at
):
    seed(product("a", "1.00", 5), product("b", "3.00", 5))
    write_order.handler(priced(("a", 2, "1.00"), ("b", 1, "3.00")), context)

    assert len(sent_transactions) == 1
    request = sent_transactions[0]
    *updates, put = request["TransactItems"]
    assert [u["Update"]["Key"] for u in updates] == [{"productId": {"S": "a"}}, {"productId": {"S": "b"}}]
    for update, quantity in zip(updates, ("2", "1"), strict=True):
        assert update["Update"]["TableName"] == order_resources["ProductsTable"]
        assert update["Update"]["UpdateExpression"] == "SET stock = stock - :q"
        assert update["Update"]["ConditionExpression"] == "attribute_exists(productId) AND stock >= :q"
        assert update["Update"]["ExpressionAttributeValues"] == {":q": {"N": quantity}}
    assert put["Put"]["TableName"] == order_resources["OrdersTable"]
    assert put["Put"]["ConditionExpression"] == "attribute_not_exists(orderId)"
    assert put["Put"]["Item"]["orderId"] == {"S": "o-1"}
    assert request["ClientRequestToken"] == str(uuid.uuid5(TOKEN_NAMESPACE, "o-1\n2026-03-01T12:00:00.123Z"))


def test_client_request_token_is_deterministic_per_order_and_attempt():
    def order(order_id, created):
        return Order.model_validate(
            {**priced(("a", 1, "1.00"), order_id=order_id), "createdAt": created, "expiresAt": 1}
        )

    token = client_request_token(order("o-1", "2026-03-01T12:00:00.000Z"))
    assert token == client_request_token(order("o-1", "2026-03-01T12:00:00.000Z"))
    assert token != client_request_token(order("o-2", "2026-03-01T12:00:00.000Z"))
    assert token != client_request_token(order("o-1", "2026-03-01T12:00:01.000Z"))
    assert len(token) == 36  # ClientRequestToken's maximum length


def test_a_float_price_from_the_previous_task_is_a_contract_error_not_a_rejection(write_order, context, at):
    payload = priced(("p", 1, "1.00"))
    payload["totalAmount"] = 1.0
    with pytest.raises(ContractError, match="totalAmount"):
        write_order.handler(payload, context)
