"""`orderflow up` as a process: broken templates are one line and exit 1; a good one serves until
SIGTERM and leaves nothing running.

Every `orderflow up` here is a subprocess; they boot in parallel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from orderflow.ports import free_port
from tests.e2e.e2e_support import ROOT
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e

BREAKAGES = {
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


@pytest.fixture(scope="module")
def good_up() -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """`orderflow up` on the real template, started first so it boots while the broken ones fail."""
    api_port, aws_port = free_port(), free_port()
    # With the flow suite's Step Functions Local mock config and no back-off sleeps.
    cmd = [sys.executable, "-m", "orderflow.cli", "up", "--quiet", "--time-scale", "0"]
    cmd += ["--mock-config", str(ROOT / "tests/statemachine/MockConfigFile.json")]
    cmd += ["--aws-port", str(aws_port), "--api-port", str(api_port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc, api_port, aws_port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_up_reports_broken_templates_in_one_line(
    tmp_path: Path, good_up: tuple[subprocess.Popen[str], int, int]
) -> None:
    text = (ROOT / "template.yaml").read_text()
    for folder in ("functions", "statemachines"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    runs = {}
    for name, (old, new, _) in BREAKAGES.items():
        assert old in text, name
        template = tmp_path / f"{name}.yaml"
        template.write_text(text.replace(old, new, 1))
        cmd = [sys.executable, "-m", "orderflow.cli", "up", "--template", str(template)]
        cmd += ["--aws-port", str(free_port()), "--api-port", str(free_port()), "--stack-name", name]
        runs[name] = subprocess.Popen(
            cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    for name, proc in runs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, (name, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, (name, err)
        assert lines[0].startswith("orderflow up: ")
        assert "Traceback" not in err
        for fragment in BREAKAGES[name][2]:
            assert fragment in lines[0], (name, lines[0])
        assert "ready" not in out


def test_up_serves_until_sigterm_and_leaves_nothing_running(
    good_up: tuple[subprocess.Popen[str], int, int],
) -> None:
    proc, api_port, aws_port = good_up
    assert proc.stdout is not None
    ready = proc.stdout.readline()  # blocks until the ready line (or EOF if up died)
    assert ready.startswith("orderflow ready  aws=http://127.0.0.1:"), (ready, proc.stderr and proc.poll())
    assert f"api=http://127.0.0.1:{api_port}/v1/" in ready

    # --mock-config: <stateMachineArn>#<TestCase> runs the Step Functions Local test case.
    sfn = local_client("stepfunctions", f"http://127.0.0.1:{aws_port}")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    order = {"orderId": "mocked-1", "customerId": "c", "items": [{"productId": "p", "quantity": 1}]}
    started = sfn.start_execution(
        stateMachineArn=f"{machine}#HappyPath", name="mocked-1", input=json.dumps(order)
    )
    execution = sfn.describe_execution(executionArn=started["executionArn"])
    while execution["status"] == "RUNNING":  # mocked tasks: no Lambda runs, no back-off
        execution = sfn.describe_execution(executionArn=started["executionArn"])
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["status"] == "CONFIRMED"
    with pytest.raises(ClientError) as unknown_case:
        sfn.start_execution(stateMachineArn=f"{machine}#NoSuchCase", input=json.dumps(order))
    assert unknown_case.value.response["Error"]["Code"] == "InvalidName"
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/v1/users", timeout=30) as response:
        assert response.status == 200
        assert json.loads(response.read())["items"] == []
    workers = children_of(proc.pid)
    assert workers, "the functions' workers run as child processes"

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
