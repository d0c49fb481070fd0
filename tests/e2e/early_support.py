"""The e2e suite's own `orderflow` processes, declared once and started as soon as the session is
collected (tests/e2e/conftest.py), so they use the second core while the in-process tests run.

Their ports are chosen at import and bound seconds to a minute later, while the in-process tests
bind and connect: so they come from :func:`tests.support.ports.later_port`, outside the range the
kernel hands out to ``bind(0)`` and connections, never from ``free_port()``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.e2e.e2e_support import ROOT
from tests.support.ports import later_port


class EarlyProcesses:
    """The e2e suite's own `orderflow` processes (demo, `up` on broken and good templates), started as
    soon as the session is collected (tests/e2e/conftest.py): they run on the second core while this
    process runs the in-process tests, instead of one after the other. A test takes its process by
    name; one never started early (a single test file run) starts then."""

    def __init__(self) -> None:
        self._started: dict[str, subprocess.Popen[str]] = {}
        self._specs: dict[str, tuple[list[str], Path, dict[str, str] | None]] = {}
        self.temp_dirs: list[Path] = []

    @property
    def declared(self) -> set[str]:
        return set(self._specs)

    def declare(self, name: str, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self._specs[name] = (cmd, cwd, env)

    def start(self, name: str) -> subprocess.Popen[str]:
        if name not in self._started:
            cmd, cwd, env = self._specs[name]
            # niced: they use the core the test process leaves idle rather than slow it down
            self._started[name] = subprocess.Popen(
                ["nice", "-n", "10", *cmd],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        return self._started[name]

    def kill_all(self) -> None:
        for proc in self._started.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self._started.clear()
        for folder in self.temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self.temp_dirs.clear()


EARLY = EarlyProcesses()


# Each broken template's change, and what its one error line must name. Only "lint-error" runs with
# cfn-lint on (`orderflow up`'s default): the others pass --no-lint, so that the runtime's own checks
# behind it (handler import, CodeUri, the SAM transform) are what reports them.
BREAKAGES = {
    "lint-error": (
        "      AttributeDefinitions:\n        - AttributeName: userId\n          AttributeType: S\n"
        "        - AttributeName: email\n          AttributeType: S\n",
        "",
        ("cfn-lint: ", "E3039", "UsersTable"),
    ),
    "bad-handler": (
        "Handler: order_service.handlers.notify_order.handler",
        "Handler: order_service.handlers.nope.handler",
        ("NotifyOrderFunction", "nope"),
    ),
    "missing-codeuri": ("CodeUri: functions/users/", "CodeUri: functions/missing/", ("functions/missing",)),
    "no-transform": (
        "RestApiId: !Ref OrderflowApi\n            Path: /orders\n            Method: POST",
        "RestApiId: !Ref NoSuchApi\n            Path: /orders\n            Method: POST",
        ("OrdersApiFunction", "transform"),
    ),
}


RUN_CLI_MANY = Path(__file__).resolve().parent / "run_cli_many.py"
GOOD_PORTS = (later_port(), later_port())  # (api, aws) of the good `orderflow up`
GOOD_CONSOLE_PORT = later_port()  # and its web console's


def declare_up_processes() -> None:
    """Every `orderflow up` of test_up_errors.py (once): the broken templates are written to a
    temporary folder (removed by EARLY.kill_all) beside copies of the code they point at."""
    if "good-up" in EARLY.declared:
        return
    broken_dir = Path(tempfile.mkdtemp(prefix="orderflow-broken-templates-"))
    EARLY.temp_dirs.append(broken_dir)
    text = (ROOT / "template.yaml").read_text()
    for folder in ("functions", "statemachines"):
        shutil.copytree(ROOT / folder, broken_dir / folder, ignore=shutil.ignore_patterns("__pycache__"))
    runs = []
    for name, (old, new, _) in BREAKAGES.items():
        assert old in text, name
        template = broken_dir / f"{name}.yaml"
        template.write_text(text.replace(old, new, 1))
        argv = ["up", "--template", str(template), "--stack-name", name, "--in-memory"]
        if name != "lint-error":
            argv.append("--no-lint")
        runs.append((name, [*argv, "--aws-port", str(later_port()), "--api-port", str(later_port())]))
    # One process runs them one after the other (each start fails and cleans up after itself).
    EARLY.declare("broken-templates", [sys.executable, str(RUN_CLI_MANY), json.dumps(runs)], broken_dir)
    # `orderflow up` on the real template, with the flow suite's Step Functions Local mock config
    # and no back-off sleeps.
    api_port, aws_port = GOOD_PORTS
    cmd = [sys.executable, "-m", "orderflow.cli", "up", "--quiet", "--time-scale", "0", "--in-memory"]
    cmd += ["--mock-config", str(ROOT / "tests/statemachine/MockConfigFile.json")]
    cmd += [
        "--aws-port",
        str(aws_port),
        "--api-port",
        str(api_port),
        "--console-port",
        str(GOOD_CONSOLE_PORT),
    ]
    cmd += ["--parameter-overrides", "ParameterKey=LogLevel,ParameterValue=DEBUG"]
    EARLY.declare("good-up", cmd, ROOT, env={**os.environ, "AWS_REGION": "eu-west-1"})


# On free ports: left to itself the demo takes 4566/3000 when free, which other tests (run meanwhile)
# expect to find free or to claim.
EARLY.declare(
    "demo",
    [
        sys.executable,
        "-m",
        "orderflow.cli",
        "demo",
        "--aws-port",
        str(later_port()),
        "--api-port",
        str(later_port()),
    ],
    ROOT,
)


# `orderflow up` with WorkflowType=EXPRESS (the suite's one EXPRESS boot): orders answered by
# StartSyncExecution, histories from the log group, the flow suite's mock config for sync executions.
EXPRESS_PORTS = (later_port(), later_port())  # (api, aws)
EARLY.declare(
    "express-up",
    [
        sys.executable,
        "-m",
        "orderflow.cli",
        "up",
        "--quiet",
        "--time-scale",
        "0",
        "--no-lint",  # the same template as good-up, which lints it
        "--in-memory",
        "--mock-config",
        str(ROOT / "tests/statemachine/MockConfigFile.json"),
        "--api-port",
        str(EXPRESS_PORTS[0]),
        "--aws-port",
        str(EXPRESS_PORTS[1]),
        "--parameter-overrides",
        "WorkflowType=EXPRESS",
    ],
    ROOT,
)


def start_for(selected_files: set[str]) -> bool:
    """Start the processes the selected test files use; whether any was started."""
    names = []
    if "test_demo.py" in selected_files:
        names.append("demo")
    if "test_express.py" in selected_files:
        names.append("express-up")
    if "test_up_errors.py" in selected_files:
        declare_up_processes()
        names += ["good-up", "broken-templates"]
    for name in names:
        EARLY.start(name)
    return bool(names)
