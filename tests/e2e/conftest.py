"""End-to-end fixtures: template.yaml booted by the local runtime, the local API in front of it.

The runtime embeds moto in this process (its patches and backends are process-global), so the
stack is *package*-scoped rather than session-scoped: it is stopped as soon as the last test of
tests/e2e has run, before any later unit test opens its own ``mock_aws()``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from orderflow.api.client import ApiClient
from orderflow.ports import free_port
from orderflow.session import LocalSession, SessionOptions
from tests.e2e.e2e_support import PROBE, TEMPLATE, Stack
from tests.e2e.early_support import EARLY, start_for


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the e2e suite's own `orderflow` processes of the selected test files right away."""
    if start_for({item.path.name for item in session.items}):
        session.config.add_cleanup(EARLY.kill_all)


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    # The isolation probe boots its own runtime in a subprocess; started first, it boots in parallel.
    probe = subprocess.Popen(
        [sys.executable, str(PROBE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    session = LocalSession(
        SessionOptions(TEMPLATE, stack_name="e2e", aws_port=free_port(), api_port=free_port())
    )
    try:
        session.start()
        runtime, api_server = session.runtime, session.api
        assert runtime is not None and api_server is not None
        yield Stack(runtime, api_server, ApiClient(api_server.url), runtime.endpoint_url, probe=probe)
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.communicate()
        session.stop()
