"""The sample SAM apps (tests/apps/<app>/: a template, its code and its own tests), each run through the
pytest plugin as its author would run it: an inner pytest session (pytester, in a subprocess, the plugin
loaded through its pytest11 entry point) with ``--orderflow-template <app>/template.yaml``, one stack
per app. The inner tests must all pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orderflow.runtime import runtimes

APPS = Path(__file__).resolve().parent

# app folder -> the number of tests in its test_<app>.py
SAMPLE_APPS = {
    "nested_workflows": 2,
    "distributed_map_s3": 2,
}


@pytest.mark.parametrize("app", sorted(SAMPLE_APPS))
def test_the_sample_app_passes_its_tests_through_the_plugin(app: str, pytester: pytest.Pytester) -> None:
    if app == "node_beside_python" and runtimes.find_node() is None:
        pytest.skip("no `node` on PATH")
    copied = shutil.copytree(APPS / app, pytester.path / app, ignore=shutil.ignore_patterns("__pycache__"))
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--orderflow-template", str(copied / "template.yaml"),
        "--orderflow-time-scale", "0", str(copied),
    )  # fmt: skip
    result.assert_outcomes(passed=SAMPLE_APPS[app])
