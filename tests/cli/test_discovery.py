"""How a client command finds a running ``orderflow up``: the discovery record it writes, and the
precedence ``--endpoint`` > ``$AWS_ENDPOINT_URL`` > the record > the default (orderflow.discovery)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import orderflow.discovery
from orderflow.discovery import (
    NoRuntime,
    find_record,
    read_record,
    record_path,
    remove_record,
    resolve,
    write_record,
)
from tests.cli.test_cli import assert_one_line_error, closed_port, run

ENDPOINTS = {"aws": "http://127.0.0.1:4599", "api": "http://127.0.0.1:3999/v1/", "console": None}


def gone_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(child.stdout)


def test_the_record_holds_the_endpoints_stack_region_pid_and_start_time(tmp_path: Path) -> None:
    path = write_record(tmp_path / "s", endpoints=ENDPOINTS, stack_name="shop", region="eu-west-1")
    assert path == tmp_path / "s" / "runtime.json"
    record = json.loads(path.read_text())
    assert record["endpoints"] == ENDPOINTS
    assert (record["stack_name"], record["region"], record["pid"]) == ("shop", "eu-west-1", os.getpid())
    assert record["started_at"].endswith("Z") and "T" in record["started_at"]
    assert record["state_dir"] == str((tmp_path / "s").resolve())
    assert read_record(path) == record
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["runtime.json"]  # no partial file left


def test_a_stale_or_malformed_record_is_ignored(tmp_path: Path) -> None:
    path = write_record(tmp_path, endpoints=ENDPOINTS, stack_name="shop", region="us-east-1", pid=gone_pid())
    assert path.exists() and read_record(path) is None
    assert find_record(None, state_dir=tmp_path) is None
    path.write_text("{not json")
    assert read_record(path) is None
    path.write_text(json.dumps({"endpoints": {}, "pid": os.getpid()}))
    assert read_record(path) is None


def test_remove_takes_only_its_own_record(tmp_path: Path) -> None:
    write_record(tmp_path, endpoints=ENDPOINTS, stack_name="shop", region="us-east-1", pid=1)
    remove_record(tmp_path)  # another process's (pid 1): left alone
    assert record_path(tmp_path).exists()
    write_record(tmp_path, endpoints=ENDPOINTS, stack_name="shop", region="us-east-1")
    remove_record(tmp_path)
    assert not record_path(tmp_path).exists()
    remove_record(tmp_path)  # none: nothing to do


def test_records_beside_the_template_are_found_by_stack_or_as_the_only_one(tmp_path: Path) -> None:
    shop = write_record(tmp_path / ".orderflow" / "shop", endpoints=ENDPOINTS, stack_name="shop", region="r")
    assert find_record("shop", base=tmp_path) == (shop, read_record(shop))
    assert find_record("other", base=tmp_path) is None
    assert find_record(None, base=tmp_path) == (shop, read_record(shop))  # the one live record
    default = write_record(
        tmp_path / ".orderflow" / "orderflow", endpoints=ENDPOINTS, stack_name="orderflow", region="r"
    )
    assert find_record(None, base=tmp_path) == (default, read_record(default))  # orderflow's first


def probe_of(answering: set[str], tried: list[str]):  # type: ignore[no-untyped-def]
    def probe(url: str) -> bool:
        tried.append(url)
        return url in answering

    return probe


def test_precedence_endpoint_then_environment_then_record_then_default(tmp_path: Path) -> None:
    record = write_record(
        tmp_path / ".orderflow" / "orderflow", endpoints=ENDPOINTS, stack_name="shop", region="eu-west-1"
    )
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    everything = {"http://127.0.0.1:9", "http://127.0.0.1:5000", ENDPOINTS["aws"], "http://127.0.0.1:4566"}

    tried: list[str] = []
    found = resolve("http://127.0.0.1:9/", None, env=env, base=tmp_path, probe=probe_of(everything, tried))
    assert (found.endpoint, found.source, tried) == (
        "http://127.0.0.1:9",
        "--endpoint",
        ["http://127.0.0.1:9"],
    )
    assert found.stack_name == "orderflow" and found.region is None  # not the record's runtime

    tried = []
    found = resolve(None, None, env=env, base=tmp_path, probe=probe_of(everything, tried))
    assert (found.endpoint, found.source) == ("http://127.0.0.1:5000", "$AWS_ENDPOINT_URL")

    tried = []
    found = resolve(None, None, env={}, base=tmp_path, probe=probe_of(everything, tried))
    assert (found.endpoint, found.source) == (ENDPOINTS["aws"], f"discovery record {record}")
    # the record's runtime: its stack, region and state dir (the admin token's place)
    assert (found.stack_name, found.region, found.state_dir) == ("shop", "eu-west-1", record.parent.resolve())
    assert found.admin_token_path() == record.parent.resolve() / "admin-token"

    tried = []
    found = resolve(None, "mine", env={}, base=tmp_path, probe=probe_of(everything, tried))
    assert (found.endpoint, found.source, found.stack_name) == ("http://127.0.0.1:4566", "default", "mine")

    # the first that answers is used
    tried = []
    found = resolve(None, None, env=env, base=tmp_path, probe=probe_of({"http://127.0.0.1:4566"}, tried))
    assert found.source == "default"
    assert tried == ["http://127.0.0.1:5000", ENDPOINTS["aws"], "http://127.0.0.1:4566"]


def test_when_nothing_answers_the_error_names_each_endpoint_and_its_source(tmp_path: Path) -> None:
    record = write_record(
        tmp_path / ".orderflow" / "orderflow", endpoints=ENDPOINTS, stack_name="orderflow", region="r"
    )
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    with pytest.raises(NoRuntime) as none:
        resolve(env=env, base=tmp_path, probe=lambda url: False)
    assert str(none.value) == (
        "no orderflow runtime at http://127.0.0.1:5000 ($AWS_ENDPOINT_URL), "
        f"http://127.0.0.1:4599 (discovery record {record}), http://127.0.0.1:4566 (default) "
        "(start it with `orderflow up`, or see --endpoint)"
    )


def test_a_client_command_says_what_it_tried_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{closed_port()}"
    record = write_record(
        tmp_path / ".orderflow" / "orderflow",
        endpoints={**ENDPOINTS, "aws": closed},
        stack_name="orderflow",
        region="us-east-1",
    )
    default = f"http://127.0.0.1:{closed_port()}"  # the machine's 4566 may be someone else's runtime
    monkeypatch.setattr(orderflow.discovery, "DEFAULT_ENDPOINT", default)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    for argv in (["outbox"], ["faults", "show"], ["history", "o-1"], ["cost"]):
        code, _, err = run(argv, capsys)
        assert_one_line_error(code, err, f"{closed} (discovery record {record})")
        assert f"{default} (default)" in err


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    code, out, err = run(["--version"], capsys)
    assert (code, out, err) == (0, f"orderflow {version('orderflow')}\n", "")
