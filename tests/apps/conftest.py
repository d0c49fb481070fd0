"""Each sample app's own tests (tests/apps/<app>/test_<app>.py) use the pytest plugin's orderflow_stack
fixture, as the app's author would; tests/apps/test_sample_apps.py runs them in a pytest session of
their own (tests/apps/early_apps.py, --orderflow-template), so this session does not collect them."""

from __future__ import annotations

import pytest

from tests.apps.early_apps import APP_SESSIONS, start_for

collect_ignore_glob = ["*/test_*.py"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the selected sample apps' sessions right away (they run while the other tests do)."""
    if start_for(session.items):
        session.config.add_cleanup(APP_SESSIONS.close)
