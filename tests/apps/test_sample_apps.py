"""The sample SAM apps (tests/apps/<app>/: a template, its code and its own tests, test_<app>.py), each
run through the pytest plugin as its author would run it: an inner pytest session (a subprocess, the
plugin loaded through its pytest11 entry point) with ``--orderflow-template <app>/template.yaml``, one
stack per app. The inner tests must all pass. The sessions start when this session is collected
(tests/apps/early_apps.py). (tests/apps/event_sources drives schedules with Runtime.schedules.tick:
it runs on the Runtime, in test_event_sources.py.)"""

from __future__ import annotations

import pytest

from tests.apps.early_apps import APP_SESSIONS, SAMPLE_APPS, skip_reason


@pytest.mark.parametrize("app", list(SAMPLE_APPS))
def test_the_sample_app_passes_its_tests_through_the_plugin(app: str) -> None:
    reason = skip_reason(app)
    if reason is not None:
        pytest.skip(reason)
    result = APP_SESSIONS.result(app)
    assert result.ret == pytest.ExitCode.OK, "\n".join(result.outlines[-60:] + result.errlines[-30:])
    result.assert_outcomes(passed=SAMPLE_APPS[app])
