"""The sample SAM apps (tests/apps/<app>/: a template, its code and its own tests, test_<app>.py), each
run through the pytest plugin as its author would run it: an inner pytest session (pytester, in a
subprocess, the plugin loaded through its pytest11 entry point) with ``--orderflow-template
<app>/template.yaml``, one stack per app. The inner tests must all pass. (tests/apps/event_sources
drives schedules with Runtime.schedules.tick: it runs on the Runtime, in test_event_sources.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orderflow.runtime import runtimes

APPS = Path(__file__).resolve().parent

# app folder -> the number of tests in its test_<app>.py
SAMPLE_APPS = {
    "manual_approval": 3,  # callback with a task token behind an API
    "s3_eventbridge_sfn": 2,  # S3 -> EventBridge -> Step Functions
    "sns_fanout": 1,  # SNS fan-out to SQS (raw, filtered) and a function
    "nested_workflows": 2,  # states:startExecution.sync:2 and states:startExecution
    "distributed_map_s3": 2,  # ItemReader (CSV in S3), ItemBatcher, ResultWriter
    "node_beside_python": 2,  # a nodejs function beside python ones
}
INI_TEMPLATE = {"manual_approval"}  # the template named in the pytest ini, not on the command line


@pytest.mark.parametrize("app", list(SAMPLE_APPS))
def test_the_sample_app_passes_its_tests_through_the_plugin(app: str, pytester: pytest.Pytester) -> None:
    if app == "node_beside_python" and runtimes.find_node() is None:
        pytest.skip("no `node` on PATH")
    copied = shutil.copytree(APPS / app, pytester.path / app, ignore=shutil.ignore_patterns("__pycache__"))
    args = ["-p", "no:randomly", "--orderflow-time-scale", "0"]
    if app in INI_TEMPLATE:  # relative to the ini file's directory
        pytester.makeini(f"[pytest]\norderflow_template = {app}/template.yaml\n")
    else:
        args += ["--orderflow-template", str(copied / "template.yaml")]
    result = pytester.runpytest_subprocess(*args, str(copied))
    result.assert_outcomes(passed=SAMPLE_APPS[app])
