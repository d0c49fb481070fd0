"""``orderflow aws …``: the AWS CLI against the running runtime, as LocalStack's awslocal, whatever
the CLI's version: the endpoint goes in as --endpoint-url (AWS CLI v1 ignores AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orderflow.cli import main
from orderflow.discovery import write_record
from tests.cli.test_cli import assert_one_line_error, closed_port, run

FAKE_AWS = """#!/bin/sh
# records how it was run: argv, then the variables the pass-through may set
{
  for arg in "$@"; do printf '%s\\n' "$arg"; done
  echo ---
  echo "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
  echo "AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION"
  echo "AWS_REGION=$AWS_REGION"
} > "$FAKE_AWS_LOG"
exit 3
"""


@pytest.fixture
def fake_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `aws` first on PATH; what it was run with goes to the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "aws"
    script.write_text(FAKE_AWS)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "aws.log"
    monkeypatch.setenv("FAKE_AWS_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return log


def ran(log: Path) -> tuple[list[str], dict[str, str]]:
    argv, _, env = log.read_text().partition("---\n")
    return argv.splitlines(), dict(line.split("=", 1) for line in env.splitlines())


def test_the_discovered_endpoint_region_and_dummy_credentials_are_passed(
    fake_aws: Path, moto_stack: str, tmp_path: Path
) -> None:
    write_record(
        tmp_path / ".orderflow" / "orderflow",
        endpoints={"aws": moto_stack, "api": None, "console": None},
        stack_name="orderflow",
        region="eu-west-1",
    )
    assert main(["aws", "sqs", "list-queues", "--output", "json"]) == 3  # the CLI's exit status
    argv, env = ran(fake_aws)
    assert argv == [f"--endpoint-url={moto_stack}", "sqs", "list-queues", "--output", "json"]
    assert env == {"AWS_ACCESS_KEY_ID": "test", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": ""}


def test_the_users_own_endpoint_credentials_and_region_win(
    fake_aws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert main(["aws", "--endpoint-url", "http://127.0.0.1:1", "s3", "ls"]) == 3
    argv, env = ran(fake_aws)
    assert argv == ["--endpoint-url", "http://127.0.0.1:1", "s3", "ls"]
    assert env == {"AWS_ACCESS_KEY_ID": "mine", "AWS_DEFAULT_REGION": "", "AWS_REGION": "ap-south-1"}


def test_help_needs_no_runtime(fake_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    assert main(["aws", "help"]) == 3
    assert ran(fake_aws)[0] == ["help"]


def test_no_runtime_is_one_line_naming_what_was_tried(
    fake_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setattr("orderflow.discovery.DEFAULT_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    code, _, err = run(["aws", "sqs", "list-queues"], capsys)
    assert_one_line_error(
        code, err, "orderflow aws: no orderflow runtime at", f"{endpoint} ($AWS_ENDPOINT_URL)"
    )
    assert not fake_aws.exists()


def test_without_the_aws_cli_one_line_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no aws there
    code, _, err = run(["aws", "s3", "ls"], capsys)
    assert_one_line_error(code, err, "orderflow aws: the AWS CLI (`aws`) is not installed or not on PATH")


@pytest.mark.skipif(shutil.which("aws") is None, reason="no AWS CLI on this machine")
def test_the_real_aws_cli_reaches_the_discovered_runtime(moto_stack: str, tmp_path: Path) -> None:
    """With this machine's AWS CLI (v1 here: it ignores AWS_ENDPOINT_URL for SQS), through the
    console script in a directory holding a discovery record."""
    write_record(
        tmp_path / ".orderflow" / "orderflow",
        endpoints={"aws": moto_stack, "api": None, "console": None},
        stack_name="orderflow",
        region="us-east-1",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    orderflow = Path(shutil.which("orderflow") or Path(sys.executable).with_name("orderflow"))

    def aws(*args: str) -> Any:
        """`orderflow aws ARGS` run from the directory that holds the record; its JSON answer."""
        done = subprocess.run(
            [str(orderflow), "aws", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)

    assert aws("sqs", "create-queue", "--queue-name", "via-awslocal")["QueueUrl"].endswith("/via-awslocal")
    stacks = aws("cloudformation", "describe-stacks", "--output", "json")["Stacks"]
    assert [s["StackName"] for s in stacks] == ["orderflow"]
