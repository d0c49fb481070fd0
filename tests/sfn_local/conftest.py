"""Fixtures: moto's executing Step Functions in-process; sfn_local hooks removed after each test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.runtime.sfn_local import reset
from tests.support.aws import MOTO_CONFIG

ROLE_ARN = "arn:aws:iam::123456789012:role/sfn-local-tests"


@pytest.fixture(autouse=True)
def _no_hooks_left_behind() -> Iterator[None]:
    reset()
    yield
    reset()


@pytest.fixture
def sfn() -> Iterator[Any]:
    """A Step Functions client on moto with execute_state_machine (moto's ASL interpreter)."""
    with mock_aws(config={**MOTO_CONFIG, "stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


@pytest.fixture
def create_machine(sfn: Any) -> Callable[[str, dict[str, Any]], str]:
    def create(name: str, definition: dict[str, Any]) -> str:
        return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]

    return create


@pytest.fixture
def run_execution(sfn: Any) -> Callable[..., tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Start an execution, wait until it is no longer RUNNING: (DescribeExecution, history events).

    The deadline only guards against a hung interpreter; no test asserts on elapsed time.
    """

    def run(
        state_machine_arn: str, execution_input: dict[str, Any] | None = None, name: str | None = None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        kwargs: dict[str, Any] = {
            "stateMachineArn": state_machine_arn,
            "input": json.dumps(execution_input or {}),
        }
        if name:
            kwargs["name"] = name
        execution_arn = sfn.start_execution(**kwargs)["executionArn"]
        deadline = time.monotonic() + 20
        pause = threading.Event()
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                sfn.stop_execution(executionArn=execution_arn)
                pytest.fail(f"execution {execution_arn} still RUNNING after 20 s")
            pause.wait(0.005)
        events = sfn.get_execution_history(executionArn=execution_arn)["events"]
        return described, events

    return run
