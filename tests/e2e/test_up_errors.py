"""`orderflow up` on broken templates: one line naming the resource, exit 1, nothing left running.

The three broken copies of template.yaml boot in parallel subprocesses.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, free_port

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


def test_up_reports_broken_templates_in_one_line(tmp_path: Path) -> None:
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
