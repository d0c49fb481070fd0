"""Fixtures of the CLI tests."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest


# A moto server (in a thread) holding a stack "orderflow" of the template's Products and Orders tables.
@pytest.fixture(scope="session")  # moto's backends are process-wide: one stack "orderflow" per session
def moto_stack() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from tests.support.aws import data_stack_template

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")
    cfn.create_stack(
        StackName="orderflow", TemplateBody=json.dumps(data_stack_template({"ProductsTable", "OrdersTable"}))
    )
    try:
        yield endpoint
    finally:
        server.stop()
