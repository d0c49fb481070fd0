"""OrdersApi: ``POST /orders`` starts the order's execution, ``GET /orders/{orderId}`` reports it
(from the execution, or from the Orders table once the execution is gone).

With an EXPRESS workflow (``ORDER_WORKFLOW_TYPE``), POST waits for the outcome and answers it:
201 CONFIRMED, 422 REJECTED, 502 FAILED, or 202 PENDING when the wait ran out."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from orderflow_common.api import ErrorResponse, ErrorTable, create_resolver, json_response
from orderflow_common.observability import logger, metrics, tracer
from orderflow_common.settings import load_settings

from order_service.dal.order_reader import OrderReader
from order_service.dal.workflow import OrderWorkflow
from order_service.errors import OrderAlreadySubmitted, OrderNotFound
from order_service.logic.orders_api import report_order, run_order, submit_order
from order_service.models import ORDER_ID_PATTERN, OrderRequest
from order_service.settings import OrdersApiSettings

settings = load_settings(OrdersApiSettings)
workflow = OrderWorkflow(settings.order_workflow_arn, wait_seconds=settings.order_wait_seconds)
orders = OrderReader(orders_table=settings.orders_table_name)
EXPRESS = settings.order_workflow_type == "EXPRESS"
# POST's answer under EXPRESS, by the order's status
OUTCOME_STATUS = {
    "CONFIRMED": HTTPStatus.CREATED,
    "REJECTED": HTTPStatus.UNPROCESSABLE_ENTITY,
    "FAILED": HTTPStatus.BAD_GATEWAY,
    "PENDING": HTTPStatus.ACCEPTED,
}


def _about_order(exc: OrderAlreadySubmitted | OrderNotFound) -> dict[str, Any]:
    return {"message": str(exc), "orderId": exc.order_id}


ERRORS: ErrorTable = {
    OrderAlreadySubmitted: ErrorResponse(HTTPStatus.CONFLICT, _about_order),
    OrderNotFound: ErrorResponse(HTTPStatus.NOT_FOUND, _about_order),
}
app = create_resolver(ERRORS)


@app.post("/orders")
def create_order(order: Annotated[OrderRequest, Body()]) -> Response[dict[str, Any]]:
    if EXPRESS:
        outcome = run_order(order, workflow, orders)
        return json_response(OUTCOME_STATUS[outcome["status"]], outcome)
    accepted = submit_order(order, workflow)
    return json_response(HTTPStatus.ACCEPTED, accepted.model_dump(mode="json"))


@app.get("/orders/<orderId>")
def get_order(orderId: Annotated[str, Path(pattern=ORDER_ID_PATTERN)]) -> Response[dict[str, Any]]:
    return json_response(HTTPStatus.OK, report_order(orderId, workflow, orders, describable=not EXPRESS))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
