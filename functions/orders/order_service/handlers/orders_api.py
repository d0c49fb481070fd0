"""OrdersApi: ``POST /orders`` starts the order's execution, ``GET /orders/{orderId}`` reports it
(from the execution, or from the Orders table once the execution is gone).

With an EXPRESS workflow (``ORDER_WORKFLOW_TYPE``), POST waits for the outcome and answers it:
201 CONFIRMED, 422 REJECTED, 502 FAILED, or 202 PENDING when the wait ran out.

Idempotency-Key (else the body's orderId) is the order id. STANDARD: the execution name is the key
(see logic.orders_api). EXPRESS: Powertools' idempotency utility on the IdempotencyTable keeps the
first answer per key, checks that a retry sends the same order (else 422), and answers 202 PENDING
while the first request with that key is still running."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from orderflow_common.api import ErrorResponse, ErrorTable, create_resolver, json_response
from orderflow_common.observability import logger, metrics, tracer
from orderflow_common.settings import load_settings

from order_service.dal.idempotency import idempotency_store
from order_service.dal.order_reader import OrderReader
from order_service.dal.workflow import OrderWorkflow
from order_service.errors import (
    BadIdempotencyKey,
    IdempotencyKeyReused,
    OrderAlreadySubmitted,
    OrderNotFound,
)
from order_service.logic.orders_api import (
    execution_input,
    idempotency_key,
    report_order,
    run_order,
    submit_order,
)
from order_service.models import ORDER_ID_PATTERN, OrderRequest
from order_service.settings import OrdersApiSettings

settings = load_settings(OrdersApiSettings)
workflow = OrderWorkflow(settings.order_workflow_arn, wait_seconds=settings.order_wait_seconds)
orders = OrderReader(orders_table=settings.orders_table_name)
persistence_layer = idempotency_store(settings.idempotency_table_name)
EXPRESS = settings.order_workflow_type == "EXPRESS"
# POST's answer under EXPRESS, by the order's status
OUTCOME_STATUS = {
    "CONFIRMED": HTTPStatus.CREATED,
    "REJECTED": HTTPStatus.UNPROCESSABLE_ENTITY,
    "FAILED": HTTPStatus.BAD_GATEWAY,
    "PENDING": HTTPStatus.ACCEPTED,
}


# EXPRESS: a key's first answer is kept a day (a client retries within minutes, not days); after
# that, a confirmed order is still answered from the Orders table (run_order).
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
idempotency_config = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="order",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
)


def _about_order(exc: OrderAlreadySubmitted | OrderNotFound | IdempotencyKeyReused) -> dict[str, Any]:
    return {"message": str(exc), "orderId": exc.order_id}


ERRORS: ErrorTable = {
    OrderAlreadySubmitted: ErrorResponse(HTTPStatus.CONFLICT, _about_order),
    OrderNotFound: ErrorResponse(HTTPStatus.NOT_FOUND, _about_order),
    IdempotencyKeyReused: ErrorResponse(HTTPStatus.UNPROCESSABLE_ENTITY, _about_order),
    BadIdempotencyKey: ErrorResponse(HTTPStatus.BAD_REQUEST, lambda exc: {"message": str(exc)}),
    IdempotencyValidationError: ErrorResponse(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        lambda _exc: {"message": "the idempotency key was already used for a different order"},
    ),
    IdempotencyPersistenceLayerError: ErrorResponse(
        HTTPStatus.SERVICE_UNAVAILABLE, lambda _exc: {"message": "busy, retry the request"}
    ),
}
app = create_resolver(ERRORS)


class StillRunning(Exception):
    """EXPRESS: the wait ran out. Raised inside the idempotent call so that no PENDING answer is kept
    for the key: the next retry looks at the Orders table first (run_order)."""

    def __init__(self, outcome: dict[str, Any]) -> None:
        super().__init__("order still running")
        self.outcome = outcome


@idempotent_function(
    data_keyword_argument="attempt", config=idempotency_config, persistence_store=persistence_layer
)
def run_keyed_order(attempt: dict[str, Any]) -> dict[str, Any]:
    """One EXPRESS run per key: ``attempt`` is ``{"key": ..., "order": <execution input>}``."""
    outcome = run_order(OrderRequest.model_validate(attempt["order"]), workflow, orders, attempt["key"])
    if outcome["status"] == "PENDING":
        raise StillRunning(outcome)
    return outcome


def _express_outcome(order: OrderRequest, key: str | None) -> dict[str, Any]:
    if key is None:
        return run_order(order, workflow, orders)
    try:
        return run_keyed_order(attempt={"key": key, "order": execution_input(order, key)})
    except StillRunning as running:
        return running.outcome
    except IdempotencyAlreadyInProgressError:
        logger.info("order with this key still running", extra={"orderId": key})
        return {"orderId": key, "status": "PENDING"}


@app.post("/orders")
def create_order(order: Annotated[OrderRequest, Body()]) -> Response[dict[str, Any]]:
    key = idempotency_key(order, app.current_event.headers.get("idempotency-key"))
    if EXPRESS:
        outcome = _express_outcome(order, key)
        return json_response(OUTCOME_STATUS[outcome["status"]], outcome)
    accepted = submit_order(order, workflow, key)
    return json_response(HTTPStatus.ACCEPTED, accepted.model_dump(mode="json"))


@app.get("/orders/<orderId>")
def get_order(orderId: Annotated[str, Path(pattern=ORDER_ID_PATTERN)]) -> Response[dict[str, Any]]:
    return json_response(HTTPStatus.OK, report_order(orderId, workflow, orders, describable=not EXPRESS))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)  # an in-progress key expires with this call
    return app.resolve(event, context)
