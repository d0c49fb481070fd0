"""Two functions invoked at the same time each see only their own environment.

The probe template (tests/e2e/probe) runs in a subprocess started by the ``stack`` fixture: the
runtime's embedded AWS is process-global and the main e2e stack runs in this process.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.e2e_support import Stack

pytestmark = pytest.mark.e2e


def test_concurrent_invocations_see_only_their_own_environment(stack: Stack) -> None:
    assert stack.probe is not None
    stdout, stderr = stack.probe.communicate(timeout=120)
    assert stack.probe.returncode == 0, stderr[-3000:]
    report = json.loads(stdout)
    assert report["errors"] == []
    results = report["results"]
    assert len(results) == 8
    names = report["function_names"]
    for r in results:
        mine = r["logical"]
        assert r["function"] == names[mine]
        assert r["env_function"] == names[mine]
        assert r["shared"] == "from-globals"
        expected = "a" if mine == "ProbeAFunction" else "b"
        assert r["first"] == r["last"] == expected, r
        if mine == "ProbeAFunction":
            assert (r["only_a"], r["only_b"]) == ("1", None), r
        else:
            assert (r["only_a"], r["only_b"]) == (None, "1"), r
    # The invocations really overlapped: some A ran while some B ran.
    a_runs = [(r["start"], r["end"]) for r in results if r["logical"] == "ProbeAFunction"]
    b_runs = [(r["start"], r["end"]) for r in results if r["logical"] == "ProbeBFunction"]
    assert any(a0 < b1 and b0 < a1 for a0, a1 in a_runs for b0, b1 in b_runs)
    # Separate execution environments: the two functions never share a process.
    assert not {r["pid"] for r in results if r["logical"] == "ProbeAFunction"} & {
        r["pid"] for r in results if r["logical"] == "ProbeBFunction"
    }
