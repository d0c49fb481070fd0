"""The sample apps' own pytest sessions, started as soon as the outer session is collected.

Each app's tests run in a pytest session of their own (a subprocess, the plugin loaded through its
pytest11 entry point, one stack per app), as the app's author would run them. Those sessions boot a
stack each and are mostly CPU: run in the outer session's place they cost it a minute, while the
in-process tests leave the second core idle most of the time. So, like the e2e suite's own processes
(tests/e2e/early_support.py), they start when the session is collected, niced, one after the other on
a background thread, and test_sample_apps.py waits for each one's result. Run alone (one test
selected), an app's session starts when its test asks for it.

Their ports are given (``--orderflow-aws-port``/``--orderflow-api-port``) from
:func:`tests.support.ports.later_port`: chosen now, bound later, outside the range ``bind(0)`` and
connections use, so nothing else in the suite can take them meanwhile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from orderflow.runtime import runtimes
from tests.support.ports import later_port

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
SESSION_TIMEOUT_S = 900.0  # a session that hangs fails its test with what it printed, never the suite


def skip_reason(app: str) -> str | None:
    if app == "node_beside_python" and runtimes.find_node() is None:
        return "no `node` on PATH"
    return None


class AppSessions:
    """Each sample app's pytest session: run once, its result kept for its test."""

    def __init__(self) -> None:
        self._cond = threading.Condition()  # guards what follows; notified when a result comes
        self._queue: list[str] = []
        self._results: dict[str, pytest.RunResult] = {}
        self._running: subprocess.Popen[str] | None = None
        self._current: str | None = None  # the app whose session runs now
        self._thread: threading.Thread | None = None
        self._closed = False
        self._root: Path | None = None  # made by the first session, removed by close()

    def start(self, apps: list[str]) -> None:
        """Queue ``apps`` (those not queued yet) for the background thread, which starts if needed."""
        with self._cond:
            self._queue += [app for app in apps if app not in self._queue and app not in self._results]
            if self._thread is None and self._queue:
                self._thread = threading.Thread(target=self._run_all, name="sample-apps", daemon=True)
                self._thread.start()

    def result(self, app: str) -> pytest.RunResult:
        """The app's session result, waiting for it (queued first if it was not)."""
        with self._cond:
            if app not in self._queue and app not in self._results and app != self._current:
                self._queue.insert(0, app)  # run next: the test waits for nothing else
        self.start([])
        with self._cond:
            if not self._cond.wait_for(lambda: app in self._results, SESSION_TIMEOUT_S * 2):
                pytest.fail(f"the {app} session did not end in {SESSION_TIMEOUT_S * 2:.0f} s")
            return self._results[app]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            running = self._running
        if running is not None and running.poll() is None:
            running.kill()
        thread = self._thread
        if thread is not None:
            thread.join(30)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    def _run_all(self) -> None:
        while True:
            with self._cond:
                if self._closed or not self._queue:
                    self._thread = None
                    return
                app = self._current = self._queue.pop(0)
            try:
                result = self._run(app)
            except Exception as exc:  # the test shows it, rather than waiting for a result that never comes
                result = pytest.RunResult(1, [], [f"the {app} session could not run: {exc!r}"], 0.0)
            with self._cond:
                self._results[app] = result
                self._current = None
                self._cond.notify_all()

    def _run(self, app: str) -> pytest.RunResult:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="orderflow-sample-apps-"))
        folder = self._root / app
        copied = shutil.copytree(APPS / app, folder / app, ignore=shutil.ignore_patterns("__pycache__"))
        args = ["-p", "no:randomly", "-p", "no:cacheprovider", "--basetemp", str(folder / "basetemp")]
        args += ["--orderflow-time-scale", "0"]
        args += ["--orderflow-aws-port", str(later_port()), "--orderflow-api-port", str(later_port())]
        if app in INI_TEMPLATE:  # relative to the ini file's directory
            (folder / "pytest.ini").write_text(f"[pytest]\norderflow_template = {app}/template.yaml\n")
        else:
            args += ["--orderflow-template", str(copied / "template.yaml")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        started = time.monotonic()
        # niced: they use the core the outer session leaves idle rather than slow it down
        cmd = ["nice", "-n", "10", sys.executable, "-m", "pytest", *args, str(copied)]
        with self._cond:
            if self._closed:
                return pytest.RunResult(1, [], ["the session was closed before this app ran"], 0.0)
            proc = subprocess.Popen(
                cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            self._running = proc
        try:
            out, err = proc.communicate(timeout=SESSION_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\n(killed: the session ran past {SESSION_TIMEOUT_S:.0f} s)"
        finally:
            with self._cond:
                self._running = None
        return pytest.RunResult(
            proc.returncode, out.splitlines(), err.splitlines(), time.monotonic() - started
        )


APP_SESSIONS = AppSessions()


def start_for(selected: list[pytest.Item]) -> bool:
    """Start the sessions of the sample apps whose tests are selected; whether any such test is."""
    apps = [
        item.callspec.params["app"]
        for item in selected
        if item.path.name == "test_sample_apps.py" and hasattr(item, "callspec")
    ]
    APP_SESSIONS.start([app for app in apps if skip_reason(app) is None])
    return bool(apps)
