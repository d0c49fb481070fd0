"""Second opinion on the ASL from the npm `asl-validator` (the spec's JSON schemas + transition checks).

Optional: it runs when the pinned validator is installed (`npm ci --prefix tests/template/asl-validator`)
or `asl-validator` is on PATH, and skips otherwise. The always-on check is moto's grammar in test_asl.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LOCAL_BIN = HERE / "asl-validator" / "node_modules" / ".bin" / "asl-validator"


def validator() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if LOCAL_BIN.exists():
        return str(LOCAL_BIN)
    on_path = shutil.which("asl-validator")
    if on_path is None:
        pytest.skip("asl-validator not installed: run `npm ci --prefix tests/template/asl-validator`")
    return on_path


def validate(definition: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "definition.asl.json"
    path.write_text(definition, encoding="utf-8")
    return subprocess.run(
        [validator(), "--json-path", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_asl_validator_accepts_the_deployed_definition(deployed_definition, tmp_path):
    result = validate(deployed_definition, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_a_dangling_transition(deployed_definition, tmp_path):
    broken = json.loads(deployed_definition)
    broken["States"]["CheckStock"]["Next"] = "Nowhere"
    result = validate(json.dumps(broken), tmp_path)
    assert result.returncode != 0
    assert "Nowhere" in result.stdout + result.stderr
