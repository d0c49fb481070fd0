"""Fixtures for the local runtime's tests: a small SAM app of our own (fixtures/app), free ports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.runtime.runtime_support import FIXTURE_TEMPLATE, running


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The fixture app deployed in a fresh embedded AWS, for one test module."""
    with running(FIXTURE_TEMPLATE, "fx", state_dir=tmp_path_factory.mktemp("state")) as rt:
        yield rt
