"""Each function's environment, parsed once at cold start (a missing variable fails there, loudly).

The five functions share one CodeUri but not one environment, so each handler loads its own model.
"""

from typing import Annotated

from pydantic import BaseModel, Field

Name = Annotated[str, Field(min_length=1)]


class CheckStockSettings(BaseModel):
    products_table_name: Name


class WriteOrderSettings(BaseModel):
    products_table_name: Name
    orders_table_name: Name
    order_retention_days: Annotated[int, Field(ge=1)]


class NotifyOrderSettings(BaseModel):
    notifications_queue_url: Name


class OrdersApiSettings(BaseModel):
    order_workflow_arn: Annotated[str, Field(pattern=r"^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$")]
    orders_table_name: Name
