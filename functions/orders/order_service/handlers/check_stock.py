"""CheckStock task: ValidateOrder's output -> ``{orderId, customerId, items (priced), totalAmount}``."""

from orderflow_common.settings import load_settings

from order_service.dal.products import ProductCatalog
from order_service.handlers.task import task_handler
from order_service.logic.check_stock import check_stock
from order_service.models import PricedOrder, ValidatedOrder
from order_service.settings import CheckStockSettings

settings = load_settings(CheckStockSettings)
catalog = ProductCatalog(settings.products_table_name)


@task_handler(ValidatedOrder)
def handler(order: ValidatedOrder) -> PricedOrder:
    return check_stock(order, catalog)
