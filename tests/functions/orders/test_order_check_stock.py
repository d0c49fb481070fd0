"""CheckStock: one consistent BatchGetItem, exact Decimal pricing, ProductNotFound / OutOfStock."""

import pytest
from botocore.stub import Stubber
from order_service.dal.products import max_attempts
from order_service.errors import ContractError, OutOfStock, ProductNotFound, TransientServiceError

from tests.functions.orders.orders_support import product


def order(*pairs, order_id="o-1"):
    return {
        "orderId": order_id,
        "customerId": "c-1",
        "items": [{"productId": p, "quantity": q} for p, q in pairs],
    }


def test_prices_every_line_exactly_and_returns_money_as_strings(check_stock, seed, context):
    seed(product("p-frother", "19.99", 10, "Milk frother"), product("p-cup", "7.5", 400, "Cup"))

    result = check_stock.handler(order(("p-frother", 3), ("p-cup", 2)), context)

    assert result == {
        "orderId": "o-1",
        "customerId": "c-1",
        "items": [
            {
                "productId": "p-frother",
                "name": "Milk frother",
                "quantity": 3,
                "unitPrice": "19.99",
                "lineTotal": "59.97",
            },
            {"productId": "p-cup", "name": "Cup", "quantity": 2, "unitPrice": "7.50", "lineTotal": "15.00"},
        ],
        "totalAmount": "74.97",
    }


def test_stock_exactly_equal_to_the_quantity_is_enough(check_stock, seed, context):
    seed(product("p", "1.00", 2))
    assert check_stock.handler(order(("p", 2)), context)["totalAmount"] == "2.00"


def test_unknown_products_are_all_named(check_stock, seed, context):
    seed(product("p-known", "1.00", 5))
    with pytest.raises(ProductNotFound) as raised:
        check_stock.handler(order(("p-ghost", 1), ("p-known", 1), ("p-phantom", 1)), context)
    assert raised.value.product_ids == ["p-ghost", "p-phantom"]
    assert str(raised.value) == "unknown product(s): p-ghost, p-phantom"


def test_out_of_stock_names_product_requested_and_available(check_stock, seed, context):
    seed(product("p-grinder", "129.00", 1), product("p-cup", "7.50", 400))
    with pytest.raises(OutOfStock) as raised:
        check_stock.handler(order(("p-cup", 4), ("p-grinder", 3)), context)
    assert str(raised.value) == "out of stock: p-grinder: requested 3, available 1"
    assert type(raised.value).__name__ == "OutOfStock"


def test_one_consistent_batch_get_item_for_all_products(check_stock, order_resources, context):
    table = order_resources["ProductsTable"]
    keys = [{"productId": {"S": "a"}}, {"productId": {"S": "b"}}]
    items = [
        {"productId": {"S": "a"}, "name": {"S": "A"}, "price": {"N": "2.5"}, "stock": {"N": "9"}},
        {"productId": {"S": "b"}, "name": {"S": "B"}, "price": {"N": "1"}, "stock": {"N": "9"}},
    ]
    with Stubber(check_stock.catalog.client) as stub:
        stub.add_response(
            "batch_get_item",
            {"Responses": {table: items}, "UnprocessedKeys": {}},
            expected_params={"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}},
        )
        result = check_stock.handler(order(("a", 2), ("b", 1)), context)
        stub.assert_no_pending_responses()
    assert result["totalAmount"] == "6.00"


def test_unprocessed_keys_are_asked_again_with_backoff(check_stock, order_resources, context, monkeypatch):
    sleeps = []
    monkeypatch.setattr("order_service.dal.products.time.sleep", sleeps.append)
    table = order_resources["ProductsTable"]
    item_a = {"productId": {"S": "a"}, "name": {"S": "A"}, "price": {"N": "1"}, "stock": {"N": "1"}}
    item_b = {"productId": {"S": "b"}, "name": {"S": "B"}, "price": {"N": "2"}, "stock": {"N": "1"}}
    left = {table: {"Keys": [{"productId": {"S": "b"}}], "ConsistentRead": True}}
    with Stubber(check_stock.catalog.client) as stub:
        stub.add_response("batch_get_item", {"Responses": {table: [item_a]}, "UnprocessedKeys": left})
        stub.add_response(
            "batch_get_item",
            {"Responses": {table: [item_b]}, "UnprocessedKeys": {}},
            expected_params={"RequestItems": left},
        )
        result = check_stock.handler(order(("a", 1), ("b", 1)), context)
        stub.assert_no_pending_responses()
    assert result["totalAmount"] == "3.00"
    assert len(sleeps) == 1


def test_keys_still_unprocessed_after_the_retry_budget_are_transient(
    check_stock, order_resources, context, monkeypatch
):
    monkeypatch.setattr("order_service.dal.products.time.sleep", lambda _s: None)
    table = order_resources["ProductsTable"]
    left = {table: {"Keys": [{"productId": {"S": "a"}}], "ConsistentRead": True}}
    attempts = max_attempts(check_stock.catalog.client)
    with Stubber(check_stock.catalog.client) as stub:
        for _ in range(attempts):
            stub.add_response("batch_get_item", {"Responses": {table: []}, "UnprocessedKeys": left})
        with pytest.raises(TransientServiceError, match="unprocessed"):
            check_stock.handler(order(("a", 1)), context)
        stub.assert_no_pending_responses()


def test_throttling_after_botocore_retries_is_a_transient_service_error(check_stock, context):
    with Stubber(check_stock.catalog.client) as stub:
        stub.add_client_error(
            "batch_get_item", "ProvisionedThroughputExceededException", http_status_code=400
        )
        with pytest.raises(TransientServiceError, match="ProvisionedThroughputExceededException"):
            check_stock.handler(order(("a", 1)), context)


def test_a_product_without_a_price_is_a_contract_error_not_a_rejection(check_stock, products_table, context):
    products_table.put_item(Item={"productId": "p", "name": "P", "stock": 3})
    with pytest.raises(ContractError, match="price"):
        check_stock.handler(order(("p", 1)), context)


def test_a_payload_that_breaks_the_task_contract_fails_instead_of_rejecting(check_stock, context):
    with pytest.raises(ContractError, match="ValidatedOrder"):
        check_stock.handler({"orderId": "o-1", "customerId": "c"}, context)
