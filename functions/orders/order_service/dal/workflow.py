"""The order workflow state machine (OrdersApi): one execution per order, named by the order id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
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


def waiting_client(wait_seconds: int) -> SFNClient:
    """A client for StartSyncExecution: its read timeout is how long the caller waits for the outcome,
    and it never resends (a resent StartSyncExecution would run the workflow a second time). On AWS
    botocore sends it to sync-states.<region>...; a local runtime turns the prefix off through
    AWS_DISABLE_HOST_PREFIX_INJECTION, so nothing here differs between the two."""
    config = Config(read_timeout=wait_seconds, retries={"total_max_attempts": 1})
    return boto3.client("stepfunctions", config=config)


class OrderWorkflow:
    def __init__(
        self,
        state_machine_arn: str,
        client: SFNClient | None = None,
        wait_seconds: int = 20,
        sync_client: SFNClient | None = None,
    ) -> None:
        self.state_machine_arn = state_machine_arn
        self.client: SFNClient = client or stepfunctions
        self.wait_seconds = wait_seconds
        self._sync_client = sync_client

    @property
    def sync_client(self) -> SFNClient:
        if self._sync_client is None:
            self._sync_client = waiting_client(self.wait_seconds)
        return self._sync_client

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
    def run(self, order_id: str, execution_input: str) -> ExecutionSnapshot | None:
        """StartSyncExecution (EXPRESS) named ``order_id``: the finished execution, or None when it
        did not end within ``wait_seconds`` (it goes on running; the client asks later)."""
        with transient_errors("StartSyncExecution"):
            try:
                response = self.sync_client.start_sync_execution(
                    stateMachineArn=self.state_machine_arn, name=order_id, input=execution_input
                )
            except ReadTimeoutError:
                return None
        return ExecutionSnapshot.model_validate(response)

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
