"""The shape every workflow task handler shares, written once.

A task handler parses its payload into a Pydantic model, calls one logic function and returns the
result as JSON-safe dict (Decimal money as strings), with the Powertools decorators around it.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from orderflow_common.observability import logger, metrics, tracer

from order_service.errors import ContractError, OrderRejection

# Counted per function: the template's errors alarms subtract it from Lambda's Errors metric, so a
# rejected order (raised, hence a Lambda error) never pages anyone.
REJECTIONS_METRIC = "BusinessRejections"
# Counted per reason (the error's class name: ValidationError, ProductNotFound, OutOfStock), for the
# dashboard's rejections-by-reason graph. Only the function that raises knows the reason: the state
# machine's log carries it inside an escaped JSON string, out of a metric filter's reach.
REJECTIONS_BY_REASON_METRIC = "OrderRejections"
REASON_DIMENSION = "Reason"

InputT = TypeVar("InputT", bound=pydantic.BaseModel)
Step = Callable[[InputT], pydantic.BaseModel]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def task_handler(input_model: type[InputT]) -> Callable[[Step[InputT]], LambdaHandler]:
    """Decorate ``step(payload: input_model) -> BaseModel`` into a Lambda ``handler(event, context)``.

    A payload or result that breaks its model raises ContractError: pydantic's own exception is named
    ``ValidationError``, which the workflow would mistake for a customer's invalid order. A business
    rejection propagates (the workflow catches it by name) after one ``BusinessRejections`` metric
    with the function's name as dimension and one ``OrderRejections`` metric with the reason.
    """

    def decorate(step: Step[InputT]) -> LambdaHandler:
        @logger.inject_lambda_context
        @tracer.capture_lambda_handler
        @metrics.log_metrics(capture_cold_start_metric=True)
        @functools.wraps(step)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            try:
                payload = input_model.model_validate(event)
            except pydantic.ValidationError as exc:
                raise ContractError(f"payload breaks {input_model.__name__}: {exc}") from None
            try:
                result = step(payload)
            except pydantic.ValidationError as exc:
                raise ContractError(str(exc)) from None
            except OrderRejection as exc:
                reason = type(exc).__name__
                logger.info("order rejected", extra={"reason": reason})
                with single_metric(name=REJECTIONS_METRIC, unit=MetricUnit.Count, value=1) as metric:
                    metric.add_dimension(name="FunctionName", value=context.function_name)
                with single_metric(
                    name=REJECTIONS_BY_REASON_METRIC, unit=MetricUnit.Count, value=1
                ) as metric:
                    metric.add_dimension(name=REASON_DIMENSION, value=reason)
                raise
            return result.model_dump(mode="json")

        return handler

    return decorate
