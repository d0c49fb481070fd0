"""Helpers for the runtime tests (a module of its own: two conftest.py files share that name)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from orderflow.polling import wait_execution_stopped
from orderflow.ports import free_port

if TYPE_CHECKING:
    from orderflow.api import ApiServer

__all__ = [
    "FIXTURE_TEMPLATE",
    "api_fixture",
    "call_api",
    "call_api_json",
    "free_port",
    "run_execution",
    "running",
    "serving_api",
    "wait_execution",
]

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


@contextmanager
def serving_api(template: Path, stack_name: str, state_dir: Path) -> Iterator[tuple[Any, ApiServer]]:
    """:func:`running` with the local API in front of it (on a free port): (runtime, server)."""
    from orderflow.api import ApiServer

    with (
        running(template, stack_name, state_dir=state_dir) as runtime,
        ApiServer.for_runtime(runtime, port=0) as server,
    ):
        yield runtime, server


def api_fixture(template: Path, stack_name: str) -> Any:
    """A module-scoped fixture of :func:`serving_api` for ``template``: one stack for the test module
    that assigns it (``api = api_fixture(TEMPLATE, "name")``), started once, stopped after its tests."""

    @pytest.fixture(scope="module")
    def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ApiServer]]:
        with serving_api(template, stack_name, tmp_path_factory.mktemp("state")) as served:
            yield served

    return api


def call_api(
    server: ApiServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request to the local API: (status, response headers, JSON body; None when empty)."""
    request = urllib.request.Request(server.base_url + path, data=body, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def call_api_json(server: ApiServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """:func:`call_api` with ``body`` sent as JSON (Content-Type application/json): (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    status, _, answer = call_api(server, method, path, data, {"Content-Type": "application/json"})
    return status, answer


def wait_execution(sfn: Any, execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    """DescribeExecution until the execution left RUNNING (each call is a real round trip)."""
    return dict(wait_execution_stopped(sfn, execution_arn, timeout=timeout, interval=0.002))


def run_execution(sfn: Any, state_machine_arn: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(payload), **kwargs)
    return wait_execution(sfn, started["executionArn"])
