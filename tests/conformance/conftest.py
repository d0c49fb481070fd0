"""One in-process AWS with the runtime's patches per conformance module (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance.harness import Conformance, conformance_aws


@pytest.fixture(scope="module")
def module_aws() -> Iterator[Conformance]:
    with conformance_aws() as aws:
        yield aws


@pytest.fixture
def aws(module_aws: Conformance) -> Iterator[Conformance]:
    module_aws.functions.handlers.clear()
    module_aws.functions.calls.clear()
    yield module_aws
