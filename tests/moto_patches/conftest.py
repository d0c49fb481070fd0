"""The plain-moto fixtures of the patch tests (tests/moto_patches/test_<module>.py); their helpers are in
support.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from orderflow.runtime.moto import REGISTRY, hooks
from tests.moto_patches.support import SFN_EXECUTES, RecordingHooks


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """Plain moto, in-process, with executing Step Functions. Refuses to start with any patch on (a
    RuntimeError, not an AssertionError: the gap xfails must not swallow it)."""
    if REGISTRY.active() or hooks.attached():
        raise RuntimeError(f"not plain moto: patches on {REGISTRY.active()}, hooks {hooks.attached()}")
    with mock_aws(config=SFN_EXECUTES):
        yield
    if REGISTRY.active():
        raise RuntimeError(f"a test left patches on: {REGISTRY.active()}")


@pytest.fixture
def runtime_hooks() -> Iterator[RecordingHooks]:
    recorder = RecordingHooks(payload=json.dumps({"ok": 1}).encode())
    hooks.attach(recorder)
    try:
        yield recorder
    finally:
        hooks.detach()
