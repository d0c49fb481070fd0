"""Helpers for the runtime tests (a module of its own: two conftest.py files share that name)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orderflow.polling import wait_execution_stopped
from orderflow.ports import free_port

__all__ = ["FIXTURE_TEMPLATE", "free_port", "run_execution", "running", "wait_execution"]

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "app" / "template.yaml"


@contextmanager
def running(template: Path, stack_name: str, **options: Any) -> Iterator[Any]:
    """A Runtime of ``template`` on free ports, started, stopped on the way out (``options``: Runtime's)."""
    from orderflow.runtime import Runtime

    runtime = Runtime(template, stack_name=stack_name, aws_port=free_port(), api_port=free_port(), **options)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def wait_execution(sfn: Any, execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    """DescribeExecution until the execution left RUNNING (each call is a real round trip)."""
    return dict(wait_execution_stopped(sfn, execution_arn, timeout=timeout, interval=0.002))


def run_execution(sfn: Any, state_machine_arn: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(payload), **kwargs)
    return wait_execution(sfn, started["executionArn"])
