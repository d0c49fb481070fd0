"""`orderflow demo`, the README's main job, as a user runs it: a process that must exit 0 having shown
every outcome it promises."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.early_support import EARLY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    proc = EARLY.start("demo")  # usually started when the session was collected
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_demo_exits_0_with_every_outcome_as_expected(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "demo: every order, user and mail came out as expected" in demo.stdout
    assert "Traceback" not in demo.stdout + demo.stderr
    # output to a pipe: the product count, no progress bar
    assert "  loaded 200 products" in demo.stdout
    assert "item/s]" not in demo.stdout + demo.stderr


def test_demo_shows_each_order_outcome(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout
    assert re.search(r"confirmed\s+\S+\s+CONFIRMED", out)
    assert re.search(r"out of stock\s+\S+\s+REJECTED \(OutOfStock\)", out)
    assert re.search(r"invalid\s+400\s+rejected by the API: items\.0\.quantity", out)
    assert re.search(r"invalid \(direct\)\s+\S+\s+REJECTED \(ValidationError\)", out)


def test_demo_prints_histories_and_the_outbox(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout
    for state in ("ValidateOrder", "CheckStock", "WriteOrder", "NotifyOrder"):
        assert re.search(rf"{state}\s+1\s+TaskSucceeded", out), state
    assert re.search(r"ValidateOrder\s+1\s+TaskFailed\s+ValidationError", out)
    assert re.search(r"CheckStock\s+1\s+TaskFailed\s+OutOfStock", out)
    assert "Welcome to orderflow" in out
    assert "suspended" in out
