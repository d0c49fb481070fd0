"""Helpers for the runtime tests (a module of its own: two conftest.py files share that name)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "app" / "template.yaml"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_execution(sfn: Any, execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    """DescribeExecution until the execution left RUNNING (each call is a real round trip)."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still RUNNING after {timeout}s")
        time.sleep(0.002)


def run_execution(sfn: Any, state_machine_arn: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(payload), **kwargs)
    return wait_execution(sfn, started["executionArn"])
