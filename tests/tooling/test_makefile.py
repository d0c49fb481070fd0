"""The Makefile as a newcomer meets it: a bare ``make`` lists the targets and builds nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_bare_make_prints_the_targets_and_builds_nothing() -> None:
    answer = subprocess.run(
        ["make", "--no-print-directory", "-n"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # -n shows what would run: only the help recipe (grep over the Makefile), no venv, no pip
    assert "venv" not in answer.stdout and "pip" not in answer.stdout, answer.stdout
    shown = subprocess.run(
        ["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for target in ("make test", "make up", "make demo"):
        assert target in shown.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_first_install_says_each_step_before_it_runs(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    answer = subprocess.run(
        ["make", "--no-print-directory", "-n", f"VENV={venv}", f"{venv}/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = answer.stdout.splitlines()
    steps = [i for i, line in enumerate(lines) if line.startswith('echo "==> [')]
    assert len(steps) == 4, answer.stdout
    # each slow command (venv, pip, pip, npm) comes right after its step's line
    commands = ("-m venv", "pip install --quiet --upgrade pip", "pip install --quiet -e", "npm ci")
    for step, command in zip(steps, commands, strict=True):
        assert command in lines[step + 1], (lines[step], lines[step + 1])
    assert lines[-1].startswith('echo "==> ') and "is ready" in lines[-1]
