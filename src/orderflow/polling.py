"""Waiting for something to happen: short polls with a deadline, never an open-ended sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from orderflow.errors import OrderflowError

T = TypeVar("T")


class WaitTimeout(OrderflowError, TimeoutError):
    """``what`` did not happen before the deadline."""


def wait_until(
    check: Callable[[], T | None], *, timeout: float, what: str = "condition", interval: float = 0.01
) -> T:
    """Call ``check`` every ``interval`` seconds until it returns something truthy, and return that;
    WaitTimeout("timed out waiting for <what>") once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out waiting for {what}")
        pause.wait(interval)


def wait_execution_stopped(sfn: Any, execution_arn: str, *, timeout: float, interval: float = 0.01) -> Any:
    """DescribeExecution (through the Step Functions client ``sfn``) until the execution left RUNNING."""

    def stopped() -> Any:
        described = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    return wait_until(stopped, timeout=timeout, what=f"{execution_arn} to stop", interval=interval)
