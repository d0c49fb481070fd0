"""OrdersApi: submit an order (start its execution) and report an order's status from its execution
(or, once Step Functions no longer knows the execution, from the Orders table).

The API checks the request's shape with the same OrderRequest model ValidateOrder uses, so a body
that can only be rejected never starts an execution; what needs data (products, stock) is decided by
the workflow. ValidateOrder still validates: executions can be started without the API.

With an EXPRESS workflow, executions cannot be described (DescribeExecution refuses Express ARNs), so
GET could never tell a rejected or failed order from an unknown one. POST therefore waits for the
outcome (:func:`run_order`, StartSyncExecution) and answers it; the workflow normally ends in well under
a second, but its retries can stretch it past API Gateway's 29 s, so the wait is bounded and an order
still running then is answered PENDING, as under STANDARD.

Idempotency: the client's key (the ``Idempotency-Key`` header, else the body's ``orderId``) *is* the
order id and the execution name. Under STANDARD, Step Functions keeps one execution per name (90 days
after it ends): StartExecution with the same name and input returns the running execution, and
ExecutionAlreadyExists otherwise; then the execution's recorded input tells a retry (same order:
answered as the first request was, 202 with the same executionArn) from a key reused for another
order (:class:`IdempotencyKeyReused`, 422). Under EXPRESS the name is no key; the handler wraps
:func:`run_order` in Powertools' idempotency, and :func:`run_order` itself compares a key found in the
Orders table with the request.
"""

import json
import re
import uuid
from typing import Any, Protocol

from orderflow_common import jsonutil
from orderflow_common.observability import logger

from order_service.errors import (
    BadIdempotencyKey,
    ContractError,
    IdempotencyKeyReused,
    OrderAlreadySubmitted,
    OrderNotFound,
)
from order_service.logic.validation import merge_items
from order_service.models import ORDER_ID_PATTERN, ExecutionSnapshot, Order, OrderAccepted, OrderRequest

KEY_PATTERN = re.compile(ORDER_ID_PATTERN)

PENDING_STATUSES = frozenset({"RUNNING", "PENDING_REDRIVE"})
FAILED_STATUSES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
CONFIRMED_FIELDS = ("customerId", "items", "totalAmount", "createdAt", "notification")


class Workflow(Protocol):
    def start(self, order_id: str, execution_input: str) -> str: ...

    def run(self, order_id: str, execution_input: str) -> ExecutionSnapshot | None: ...

    def describe(self, order_id: str) -> ExecutionSnapshot: ...


class OrderRecords(Protocol):
    def get(self, order_id: str) -> Order | None: ...


def idempotency_key(request: OrderRequest, header: str | None) -> str | None:
    """The client's key: the ``Idempotency-Key`` header (1-80 of ``A-Z a-z 0-9 - _``, a UUID fits),
    else the body's ``orderId``; both given must agree. None: the client sent no key."""
    if header is None:
        return request.orderId
    if not KEY_PATTERN.fullmatch(header):
        raise BadIdempotencyKey(
            "Idempotency-Key must be 1-80 characters of A-Z, a-z, 0-9, '-' and '_' (a UUID fits)"
        )
    if request.orderId is not None and request.orderId != header:
        raise BadIdempotencyKey("the body's orderId differs from the Idempotency-Key header")
    return header


def execution_input(request: OrderRequest, order_id: str) -> dict[str, Any]:
    """The execution input (and the request as idempotency compares it): the body with its orderId."""
    return request.model_copy(update={"orderId": order_id}).model_dump(mode="json")


def submit_order(request: OrderRequest, workflow: Workflow, key: str | None = None) -> OrderAccepted:
    """Start the execution named by the order id (the client's idempotency key, or a new uuid4).

    A key whose execution exists answers that execution when it was started with this same order,
    however long ago it finished; IdempotencyKeyReused when it was another order."""
    key = key or request.orderId
    order_id = key or str(uuid.uuid4())
    wanted = execution_input(request, order_id)
    try:
        execution_arn = workflow.start(order_id, jsonutil.dumps(wanted))
    except OrderAlreadySubmitted:
        existing = workflow.describe(order_id)
        if existing.input is None or json.loads(existing.input) != wanted:
            raise IdempotencyKeyReused(order_id) from None
        logger.info("order resubmitted with its key", extra={"orderId": order_id})
        return OrderAccepted(orderId=order_id, executionArn=existing.executionArn or "")
    logger.info("order submitted", extra={"orderId": order_id, "executionArn": execution_arn})
    return OrderAccepted(orderId=order_id, executionArn=execution_arn)


def same_order(request: OrderRequest, order: Order) -> bool:
    """Whether a written order is the one this request asks for (customer and units per product)."""
    asked = {item.productId: item.quantity for item in merge_items(request.items)}
    written = {line.productId: line.quantity for line in order.items}
    return request.customerId == order.customerId and asked == written


def run_order(
    request: OrderRequest, workflow: Workflow, orders: OrderRecords, key: str | None = None
) -> dict[str, Any]:
    """EXPRESS: run the order's execution and wait for it (bounded); the order's status as
    :func:`order_status` gives it, or PENDING when the wait ran out. An Express execution name is no
    idempotency key on AWS, so a key already written to the Orders table is answered from there
    (CONFIRMED, when it is this order) or refused (IdempotencyKeyReused) without running anything."""
    key = key or request.orderId
    order_id = key or str(uuid.uuid4())
    if key is not None:
        written = orders.get(order_id)
        if written is not None:
            if not same_order(request, written):
                raise IdempotencyKeyReused(order_id)
            return confirmed_from_table(written)
    execution = workflow.run(order_id, jsonutil.dumps(execution_input(request, order_id)))
    if execution is None:
        logger.info("order still running after the wait", extra={"orderId": order_id})
        return {"orderId": order_id, "status": "PENDING"}
    report = order_status(order_id, execution)
    if report["status"] == "FAILED":
        report["message"] = f"the order workflow failed ({report['error']})"
    logger.info("order finished", extra={"orderId": order_id, "status": report["status"]})
    return report


def rejection_message(cause: str | None) -> str:
    """A Lambda error's Cause is JSON (``errorMessage``, ``errorType``, ``stackTrace``): keep the
    message only. Any other cause is returned as it is."""
    if not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
        return parsed["errorMessage"]
    return cause


def order_status(order_id: str, execution: ExecutionSnapshot) -> dict[str, Any]:
    """RUNNING -> PENDING; SUCCEEDED -> the output's CONFIRMED or REJECTED;
    FAILED, TIMED_OUT, ABORTED -> FAILED (with the error name, never the cause)."""
    if execution.status in PENDING_STATUSES:
        return {"orderId": order_id, "status": "PENDING"}
    if execution.status in FAILED_STATUSES:
        return {"orderId": order_id, "status": "FAILED", "error": execution.error or execution.status}
    if execution.status != "SUCCEEDED":
        raise ContractError(f"execution {order_id} has an unknown status {execution.status!r}")

    output = json.loads(execution.output or "null")
    status = output.get("status") if isinstance(output, dict) else None
    if status == "CONFIRMED":
        return {
            "orderId": order_id,
            "status": "CONFIRMED",
            **{name: output[name] for name in CONFIRMED_FIELDS if name in output},
        }
    if status == "REJECTED":
        return {
            "orderId": order_id,
            "status": "REJECTED",
            "reason": output.get("reason"),
            "message": rejection_message(output.get("cause")),
        }
    raise ContractError(f"execution {order_id} succeeded with an unexpected output status {status!r}")


def report_order(
    order_id: str, workflow: Workflow, orders: OrderRecords, *, describable: bool = True
) -> dict[str, Any]:
    """The execution's view while Step Functions knows it. Afterwards - a STANDARD execution is
    kept 90 days after it ends - a written order is still CONFIRMED (the Orders table keeps it
    OrderRetentionDays); anything else is OrderNotFound. EXPRESS executions are never describable
    (``describable=False``): the table is the only source, so a rejected, failed or still running
    order is OrderNotFound (POST answered its outcome)."""
    if describable:
        try:
            return order_status(order_id, workflow.describe(order_id))
        except OrderNotFound:
            pass
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return confirmed_from_table(order)


def confirmed_from_table(order: Order) -> dict[str, Any]:
    return {
        "orderId": order.orderId,
        "status": "CONFIRMED",
        **order.model_dump(mode="json", include={"customerId", "items", "totalAmount", "createdAt"}),
    }
