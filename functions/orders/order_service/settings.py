"""Each function's environment, parsed once at cold start (a missing variable fails there, loudly).

The five functions share one CodeUri but not one environment, so each handler loads its own model.
"""

from typing import Annotated, Literal

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
    idempotency_table_name: Name  # Powertools idempotency records of POST /orders under EXPRESS
    # The template's WorkflowType: EXPRESS executions cannot be described, so POST /orders waits for
    # the outcome (StartSyncExecution) for at most order_wait_seconds (under API Gateway's 29 s).
    order_workflow_type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    order_wait_seconds: Annotated[int, Field(ge=1, le=25)] = 20
