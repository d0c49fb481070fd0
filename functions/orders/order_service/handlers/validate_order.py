"""ValidateOrder task: ``{"order", "executionName"}`` -> ``{orderId, customerId, items}``."""

from order_service.handlers.task import task_handler
from order_service.logic.validation import validate_order
from order_service.models import ValidatedOrder, ValidateOrderTask


@task_handler(ValidateOrderTask)
def handler(task: ValidateOrderTask) -> ValidatedOrder:
    return validate_order(task)
