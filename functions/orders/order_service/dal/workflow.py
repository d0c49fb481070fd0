"""The order workflow state machine (OrdersApi): one execution per order, named by the order id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError
from orderflow_common.aws_errors import error_code, transient_errors
from orderflow_common.observability import tracer

from order_service.errors import OrderAlreadySubmitted, OrderNotFound
from order_service.models import ExecutionSnapshot

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.client import SFNClient

stepfunctions = boto3.client("stepfunctions")


def execution_arn(state_machine_arn: str, name: str) -> str:
    """``arn:P:states:R:A:stateMachine:SM`` + name -> ``arn:P:states:R:A:execution:SM:name``."""
    parts = state_machine_arn.split(":")
    if len(parts) != 7 or parts[2] != "states" or parts[5] != "stateMachine":
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    return ":".join([*parts[:5], "execution", parts[6], name])


class OrderWorkflow:
    def __init__(self, state_machine_arn: str, client: SFNClient | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self.client: SFNClient = client or stepfunctions

    @tracer.capture_method
    def start(self, order_id: str, execution_input: str) -> str:
        """StartExecution named ``order_id``; returns the execution ARN.

        Step Functions makes the name the idempotency key: the same name and input while the
        execution runs returns the same execution; otherwise ExecutionAlreadyExists.
        """
        with transient_errors("StartExecution"):
            try:
                response = self.client.start_execution(
                    stateMachineArn=self.state_machine_arn, name=order_id, input=execution_input
                )
            except ClientError as exc:
                if error_code(exc) == "ExecutionAlreadyExists":
                    raise OrderAlreadySubmitted(order_id) from exc
                raise
        return str(response["executionArn"])

    @tracer.capture_method
    def describe(self, order_id: str) -> ExecutionSnapshot:
        with transient_errors("DescribeExecution"):
            try:
                response = self.client.describe_execution(
                    executionArn=execution_arn(self.state_machine_arn, order_id)
                )
            except ClientError as exc:
                if error_code(exc) == "ExecutionDoesNotExist":
                    raise OrderNotFound(order_id) from exc
                raise
        return ExecutionSnapshot.model_validate(response)
