"""Fixtures for the local runtime's tests: a small SAM app of our own (fixtures/app), free ports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.runtime.runtime_helpers import FIXTURE_TEMPLATE, free_port


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The fixture app deployed in a fresh embedded AWS, for one test module."""
    from orderflow.runtime import Runtime

    rt = Runtime(
        FIXTURE_TEMPLATE,
        stack_name="fx",
        aws_port=free_port(),
        api_port=free_port(),
        state_dir=tmp_path_factory.mktemp("state"),
    )
    rt.start()
    try:
        yield rt
    finally:
        rt.stop()
