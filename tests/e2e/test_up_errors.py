"""`orderflow up` as a process: broken templates are one line and exit 1; a good one serves until
SIGTERM and leaves nothing running.

The good `orderflow up` is a process of its own; the broken templates' `orderflow up` command lines
run one after the other in one other process (tests/e2e/run_cli_many.py: one interpreter and one
import of moto for all of them). Both start as soon as the session is collected (tests/e2e/early_support.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.early_support import BREAKAGES, EARLY, GOOD_CONSOLE_PORT, GOOD_PORTS, declare_up_processes
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def good_up() -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    declare_up_processes()
    proc = EARLY.start("good-up")
    try:
        yield proc, *GOOD_PORTS
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


def console_call(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def check_console(base: str) -> None:
    """The console of `orderflow up`: its page carries the run's token; the mock config's test cases
    are offered; starting an execution needs the token; another origin is refused."""
    with urllib.request.urlopen(base + "/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="console-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    status, overview = console_call(base + "/api/overview")
    assert status == 200
    machine = overview["machines"][0]
    assert "HappyPath" in overview["testCases"][machine["name"]]
    order = {"orderId": "console-1", "customerId": "c", "items": [{"productId": "p", "quantity": 1}]}
    start = {
        "machine": machine["arn"],
        "input": json.dumps(order),
        "name": "console-1",
        "testCase": "HappyPath",
    }
    assert console_call(base + "/api/start", start)[0] == 403  # no token
    evil = {"X-Console-Token": token, "Origin": "http://evil.example"}
    assert console_call(base + "/api/start", start, evil)[0] == 403
    status, started = console_call(base + "/api/start", start, {"X-Console-Token": token})
    assert status == 200, started
    assert started["executionArn"].endswith(":console-1")
    status, bad = console_call(
        base + "/api/start", {**start, "input": "{not json"}, {"X-Console-Token": token}
    )
    assert status == 400 and "not JSON" in bad["message"]


def test_up_reports_broken_templates_in_one_line(good_up: tuple[subprocess.Popen[str], int, int]) -> None:
    declare_up_processes()
    proc = EARLY.start("broken-templates")  # `orderflow up` on each broken template, in turn
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    runs = json.loads(out)
    assert set(runs) == set(BREAKAGES)
    for name, (code, stdout, stderr) in runs.items():
        assert code == 1, (name, stdout, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, (name, stderr)
        assert lines[0].startswith("orderflow up: ")
        assert "Traceback" not in stderr
        for fragment in BREAKAGES[name][2]:
            assert fragment in lines[0], (name, lines[0])
        assert "ready" not in stdout


def test_up_serves_until_sigterm_and_leaves_nothing_running(
    good_up: tuple[subprocess.Popen[str], int, int],
) -> None:
    proc, api_port, aws_port = good_up
    assert proc.stdout is not None
    ready = proc.stdout.readline()  # blocks until the ready line (or EOF if up died)
    assert ready.startswith("orderflow ready  aws=http://127.0.0.1:"), (ready, proc.stderr and proc.poll())
    assert f"api=http://127.0.0.1:{api_port}/v1/" in ready
    assert "region eu-west-1" in ready  # AWS_REGION, as the AWS CLI reads it
    assert "IAM enforced" in ready  # the default; --no-iam says "IAM off (--no-iam)"
    assert f"console=http://127.0.0.1:{GOOD_CONSOLE_PORT}/" in ready
    check_console(f"http://127.0.0.1:{GOOD_CONSOLE_PORT}")
    assert re.search(r"  logs=\S+/\.orderflow/orderflow/logs  mock-config=\S+MockConfigFile\.json$", ready), (
        ready
    )

    # --mock-config: <stateMachineArn>#<TestCase> runs the Step Functions Local test case.
    sfn = local_client("stepfunctions", f"http://127.0.0.1:{aws_port}", region="eu-west-1")
    lam = local_client("lambda", f"http://127.0.0.1:{aws_port}", region="eu-west-1")
    function = lam.list_functions()["Functions"][0]["FunctionName"]
    variables = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    assert variables["POWERTOOLS_LOG_LEVEL"] == "DEBUG"  # --parameter-overrides, long form
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
    # the routes, as `sam local start-api` mounts them (on stderr, as sam says them)
    assert f"Mounting UsersApiFunction at http://127.0.0.1:{api_port}/v1/users [GET, POST]\n" in err, err
    # one line when an execution starts, one when it ends
    assert re.search(r"execution started  \S+  mocked-1\n", err), err
    assert re.search(r"execution ended    \S+  mocked-1  SUCCEEDED  (\d+ ms|[\d.]+ s)\n", err), err
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
