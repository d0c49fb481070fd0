"""The order logic against small in-memory implementations of its Protocols: no moto, no boto3.

Each fake is what the logic module's Protocol asks for and nothing more (Catalog, OrderRepository,
Workflow + OrderRecords, Queue), so these tests pin the rules themselves, rejections first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from order_service.errors import (
    BadIdempotencyKey,
    IdempotencyKeyReused,
    OrderAlreadySubmitted,
    OrderAlreadyWritten,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
    Shortage,
    ValidationError,
)
from order_service.logic.check_stock import check_stock
from order_service.logic.notification import notify_order
from order_service.logic.orders_api import idempotency_key, report_order, run_order, submit_order
from order_service.logic.write_order import write_order
from order_service.models import (
    ExecutionSnapshot,
    Order,
    OrderNotification,
    OrderRequest,
    PricedOrder,
    Product,
    ValidatedOrder,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


# ------------------------------------------------------------------ fakes
class FakeCatalog:
    """Catalog: products by id; remembers what it was asked."""

    def __init__(self, *products: Product) -> None:
        self.products = {product.productId: product for product in products}
        self.asked: list[list[str]] = []

    def get_products(self, product_ids: list[str]) -> dict[str, Product]:
        self.asked.append(list(product_ids))
        return {pid: self.products[pid] for pid in product_ids if pid in self.products}


class FakeOrders:
    """OrderRepository: an order id is written once (the DAL's attribute_not_exists condition)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.creates = 0

    def create(self, order: Order) -> None:
        self.creates += 1
        if order.orderId in self.orders:
            raise OrderAlreadyWritten(order.orderId)
        self.orders[order.orderId] = order

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)


class FakeWorkflow:
    """Workflow: executions by name; a name starts once (Step Functions' ExecutionAlreadyExists)."""

    def __init__(self) -> None:
        self.inputs: dict[str, str] = {}
        self.snapshots: dict[str, ExecutionSnapshot] = {}

    def start(self, order_id: str, execution_input: str) -> str:
        if order_id in self.inputs:
            raise OrderAlreadySubmitted(order_id)
        self.inputs[order_id] = execution_input
        arn = f"arn:aws:states:us-east-1:123456789012:execution:OrderWorkflow:{order_id}"
        self.snapshots.setdefault(
            order_id, ExecutionSnapshot(status="RUNNING", executionArn=arn, input=execution_input)
        )
        return arn

    def describe(self, order_id: str) -> ExecutionSnapshot:
        if order_id not in self.snapshots:
            raise OrderNotFound(order_id)
        return self.snapshots[order_id]

    def run(self, order_id: str, execution_input: str) -> ExecutionSnapshot | None:
        """StartSyncExecution: the snapshot the test set for ``order_id``, None for "still running"."""
        self.inputs[order_id] = execution_input
        return self.snapshots.get(order_id)


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def send(self, body: str, attributes: dict[str, str]) -> str:
        self.sent.append((body, attributes))
        return f"m-{len(self.sent)}"


def product(product_id: str, price: str, stock: int) -> Product:
    return Product(productId=product_id, name=f"Product {product_id}", price=Decimal(price), stock=stock)


def validated(*lines: tuple[str, int], order_id: str = "o-1") -> ValidatedOrder:
    return ValidatedOrder.model_validate(
        {
            "orderId": order_id,
            "customerId": "c-ada",
            "items": [{"productId": pid, "quantity": qty} for pid, qty in lines],
        }
    )


# ------------------------------------------------------------------ CheckStock
def test_every_unknown_product_is_named_in_order():
    catalog = FakeCatalog(product("p-cup", "7.50", 10))

    with pytest.raises(ProductNotFound) as raised:
        check_stock(validated(("p-gone", 1), ("p-cup", 1), ("p-lost", 2)), catalog)

    assert raised.value.product_ids == ["p-gone", "p-lost"]
    assert catalog.asked == [["p-gone", "p-cup", "p-lost"]]  # one read for the whole order


def test_unknown_products_are_reported_before_shortages():
    catalog = FakeCatalog(product("p-cup", "7.50", 0))
    with pytest.raises(ProductNotFound):
        check_stock(validated(("p-cup", 1), ("p-gone", 1)), catalog)


def test_every_short_line_is_named_with_what_is_available():
    catalog = FakeCatalog(product("p-cup", "7.50", 1), product("p-mug", "3.00", 5), product("p-pot", "9", 0))

    with pytest.raises(OutOfStock) as raised:
        check_stock(validated(("p-cup", 2), ("p-mug", 5), ("p-pot", 1)), catalog)

    assert raised.value.shortages == [Shortage("p-cup", 2, 1), Shortage("p-pot", 1, 0)]


def test_an_order_in_stock_is_priced_exactly():
    catalog = FakeCatalog(product("p-cup", "0.10", 10), product("p-mug", "0.20", 10))

    priced = check_stock(validated(("p-cup", 3), ("p-mug", 1)), catalog)

    assert [line.lineTotal for line in priced.items] == [Decimal("0.30"), Decimal("0.20")]
    assert priced.totalAmount == Decimal("0.50")  # not 0.5000000000000001


# ------------------------------------------------------------------ WriteOrder
def _priced(order: ValidatedOrder, catalog: FakeCatalog) -> PricedOrder:
    return check_stock(order, catalog)


CATALOG = (product("p-cup", "7.50", 10), product("p-mug", "3.00", 10))


def test_a_retry_after_a_commit_returns_the_written_order_unchanged():
    orders = FakeOrders()
    priced = _priced(validated(("p-cup", 2)), FakeCatalog(*CATALOG))
    first = write_order(priced, orders, retention_days=30, now=T0)

    again = write_order(priced, orders, retention_days=30, now=T0 + timedelta(minutes=5))

    assert again == first
    assert again.createdAt == "2026-03-01T12:00:00.000Z"
    assert orders.creates == 2
    assert len(orders.orders) == 1


def test_a_reused_order_id_with_other_content_is_a_validation_error_and_changes_nothing():
    orders = FakeOrders()
    catalog = FakeCatalog(*CATALOG)
    first = write_order(_priced(validated(("p-cup", 2)), catalog), orders, retention_days=30, now=T0)

    with pytest.raises(ValidationError, match="orderId o-1 is already used by another order"):
        write_order(_priced(validated(("p-mug", 1)), catalog), orders, retention_days=30, now=T0)

    assert orders.orders == {"o-1": first}


def test_an_order_written_but_gone_when_read_back_is_not_swallowed():
    class VanishingOrders(FakeOrders):
        def create(self, order: Order) -> None:
            raise OrderAlreadyWritten(order.orderId)

    priced = _priced(validated(("p-cup", 1)), FakeCatalog(*CATALOG))
    with pytest.raises(OrderAlreadyWritten):
        write_order(priced, VanishingOrders(), retention_days=30, now=T0)


def test_a_written_order_expires_after_the_retention():
    priced = _priced(validated(("p-cup", 1)), FakeCatalog(*CATALOG))
    order = write_order(priced, FakeOrders(), retention_days=2, now=T0)
    assert order.expiresAt == int((T0 + timedelta(days=2)).timestamp())
    assert order.status == "CONFIRMED"


# ------------------------------------------------------------------ OrdersApi
def test_submitting_an_order_id_again_answers_the_first_execution_or_refuses_another_order():
    workflow = FakeWorkflow()
    request = OrderRequest.model_validate(
        {"orderId": "o-7", "customerId": "c", "items": [{"productId": "p", "quantity": 1}]}
    )
    accepted = submit_order(request, workflow)
    assert accepted.orderId == "o-7"
    assert json.loads(workflow.inputs["o-7"])["orderId"] == "o-7"
    workflow.snapshots["o-7"] = workflow.snapshots["o-7"].model_copy(update={"status": "SUCCEEDED"})

    assert submit_order(request, workflow) == accepted  # a retry, long after: the same answer
    other = request.model_copy(update={"customerId": "c-2"})
    with pytest.raises(IdempotencyKeyReused):
        submit_order(other, workflow)


def test_the_idempotency_key_header_is_the_order_id_and_must_agree_with_the_body():
    request = OrderRequest.model_validate({"customerId": "c", "items": [{"productId": "p", "quantity": 1}]})
    assert idempotency_key(request, None) is None
    assert idempotency_key(request, "k-1") == "k-1"
    assert idempotency_key(request.model_copy(update={"orderId": "k-1"}), "k-1") == "k-1"
    assert idempotency_key(request.model_copy(update={"orderId": "o-1"}), None) == "o-1"
    with pytest.raises(BadIdempotencyKey, match="differs"):
        idempotency_key(request.model_copy(update={"orderId": "o-1"}), "k-1")
    for bad in ("", "has space", "x" * 81, "k/1", "k\x00"):
        with pytest.raises(BadIdempotencyKey, match="1-80 characters"):
            idempotency_key(request, bad)


def test_an_order_unknown_to_the_workflow_and_the_table_is_not_found():
    with pytest.raises(OrderNotFound):
        report_order("o-nowhere", FakeWorkflow(), FakeOrders())


def test_an_order_whose_execution_is_gone_is_reported_from_the_table():
    orders = FakeOrders()
    written = write_order(_priced(validated(("p-cup", 1)), FakeCatalog(*CATALOG)), orders, 30, now=T0)

    report = report_order("o-1", FakeWorkflow(), orders)

    assert report["status"] == "CONFIRMED"
    assert report["totalAmount"] == "7.50"
    assert report["createdAt"] == written.createdAt


def test_a_rejected_execution_reports_the_rejection_message_only():
    workflow = FakeWorkflow()
    cause = json.dumps({"errorMessage": "out of stock: p: requested 2, available 1", "stackTrace": ["x"]})
    workflow.snapshots["o-1"] = ExecutionSnapshot(
        status="SUCCEEDED", output=json.dumps({"status": "REJECTED", "reason": "OutOfStock", "cause": cause})
    )

    report = report_order("o-1", workflow, FakeOrders())

    assert report == {
        "orderId": "o-1",
        "status": "REJECTED",
        "reason": "OutOfStock",
        "message": "out of stock: p: requested 2, available 1",
    }


# ------------------------------------------------------------------ OrdersApi under EXPRESS
def express_request(order_id: str | None = "o-1") -> OrderRequest:
    body: dict[str, object] = {"customerId": "c", "items": [{"productId": "p-cup", "quantity": 1}]}
    if order_id:
        body["orderId"] = order_id
    return OrderRequest.model_validate(body)


def test_express_post_answers_the_confirmed_order_it_waited_for():
    workflow = FakeWorkflow()
    output = {"orderId": "o-1", "status": "CONFIRMED", "customerId": "c", "totalAmount": "7.50", "extra": 1}
    workflow.snapshots["o-1"] = ExecutionSnapshot(status="SUCCEEDED", output=json.dumps(output))

    report = run_order(express_request(), workflow, FakeOrders())

    assert report == {"orderId": "o-1", "status": "CONFIRMED", "customerId": "c", "totalAmount": "7.50"}
    assert json.loads(workflow.inputs["o-1"])["orderId"] == "o-1"


def test_express_post_answers_a_rejection_with_its_reason_and_message_only():
    workflow = FakeWorkflow()
    cause = json.dumps({"errorMessage": "unknown product(s): p-cup", "errorType": "ProductNotFound"})
    output = {"orderId": "o-1", "status": "REJECTED", "reason": "ProductNotFound", "cause": cause}
    workflow.snapshots["o-1"] = ExecutionSnapshot(status="SUCCEEDED", output=json.dumps(output))

    report = run_order(express_request(), workflow, FakeOrders())

    assert report == {
        "orderId": "o-1",
        "status": "REJECTED",
        "reason": "ProductNotFound",
        "message": "unknown product(s): p-cup",
    }


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT"])
def test_express_post_answers_a_failed_execution_by_its_error_name_never_its_cause(status):
    workflow = FakeWorkflow()
    workflow.snapshots["o-1"] = ExecutionSnapshot(
        status=status, error="States.TaskFailed", cause="secret trace"
    )

    report = run_order(express_request(), workflow, FakeOrders())

    assert report["status"] == "FAILED" and report["error"] == "States.TaskFailed"
    assert "secret" not in json.dumps(report)
    assert report["message"]


def test_express_post_still_running_after_the_wait_is_pending():
    report = run_order(express_request(), FakeWorkflow(), FakeOrders())
    assert report == {"orderId": "o-1", "status": "PENDING"}


def test_express_post_generates_an_order_id_when_none_is_given():
    workflow = FakeWorkflow()
    report = run_order(express_request(order_id=None), workflow, FakeOrders())
    [order_id] = workflow.inputs
    assert report == {"orderId": order_id, "status": "PENDING"}
    assert json.loads(workflow.inputs[order_id])["orderId"] == order_id


def test_express_post_of_a_key_already_written_answers_the_order_or_refuses_another_and_runs_nothing():
    orders = FakeOrders()
    write_order(_priced(validated(("p-cup", 1)), FakeCatalog(*CATALOG)), orders, 30, now=T0)
    workflow = FakeWorkflow()

    same = express_request("o-1").model_copy(update={"customerId": "c-ada"})
    again = run_order(same, workflow, orders)
    assert again["status"] == "CONFIRMED" and again["orderId"] == "o-1"
    other = same.model_copy(update={"customerId": "c-other"})
    with pytest.raises(IdempotencyKeyReused):
        run_order(other, workflow, orders)
    assert workflow.inputs == {}


def test_express_get_never_describes_and_reads_the_table_only():
    workflow = FakeWorkflow()
    workflow.snapshots["o-2"] = ExecutionSnapshot(status="RUNNING")  # describable would say PENDING
    orders = FakeOrders()
    write_order(_priced(validated(("p-cup", 1)), FakeCatalog(*CATALOG)), orders, 30, now=T0)

    assert report_order("o-1", workflow, orders, describable=False)["status"] == "CONFIRMED"
    with pytest.raises(OrderNotFound):
        report_order("o-2", workflow, orders, describable=False)


# ------------------------------------------------------------------ NotifyOrder
def test_a_notification_carries_money_as_a_decimal_string():
    queue = FakeQueue()
    receipt = notify_order(
        OrderNotification(orderId="o-1", customerId="c-ada", totalAmount=Decimal("12.5")), queue
    )

    assert receipt.messageId == "m-1"
    [(body, attributes)] = queue.sent
    assert json.loads(body) == {"orderId": "o-1", "customerId": "c-ada", "totalAmount": "12.50"}
    assert attributes == {"eventType": "OrderConfirmed", "orderId": "o-1"}
