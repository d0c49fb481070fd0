"""Fixtures of the flow tests: the targets the order workflow runs on.

``embedded``: template.yaml booted by the local runtime as stack ``orderflow`` (so the state machine is
``orderflow-OrderWorkflow``, the name MockConfigFile.json uses), with that file installed in the
in-process moto and Retry back-off scaled to 0. Package-scoped: moto is process-global, so the runtime
stops as soon as the last test of this directory ran.

``external``: ``ORDERFLOW_SFN_ENDPOINT`` (Step Functions Local started with this directory's
MockConfigFile.json as SFN_MOCK_CONFIG, or an AWS endpoint), plus ``ORDERFLOW_STACK_NAME`` for the
hybrid cases. Skipped when the variable is unset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.statemachine.flow_support import (
    MOCK_CONFIG,
    MOCKED_PRODUCTS,
    SFN_ENDPOINT_ENV,
    STACK_NAME_ENV,
    Target,
    embedded_target,
    external_target,
    start_flow_runtime,
)


@pytest.fixture(scope="package")
def embedded_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session = start_flow_runtime(MOCK_CONFIG, tmp_path_factory.mktemp("statemachine-state"))
    try:
        yield session.runtime
    finally:
        session.stop()


EXTERNAL_SKIP = pytest.mark.skipif(
    not os.environ.get(SFN_ENDPOINT_ENV),
    reason=f"{SFN_ENDPOINT_ENV} is not set (e.g. http://localhost:8083 for Step Functions Local)",
)


@pytest.fixture(scope="package", params=["embedded", pytest.param("external", marks=EXTERNAL_SKIP)])
def flow(request: pytest.FixtureRequest) -> Target:
    """The order workflow on one target, with the products the mocked payloads name seeded."""
    if request.param == "embedded":
        target = embedded_target(request.getfixturevalue("embedded_runtime"))
    else:
        target = external_target(os.environ[SFN_ENDPOINT_ENV], os.environ.get(STACK_NAME_ENV) or None)
    if target.has_stack:
        target.seed_products(MOCKED_PRODUCTS)
    return target
