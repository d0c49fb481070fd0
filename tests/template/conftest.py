"""Fixtures for the template-level tests: the parsed template, the ASL file, the offline SAM transform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sam_offline import transform
from support.aws import load_template

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "order_workflow.asl.json"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    return json.loads(ASL_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation SAM makes of template.yaml (offline: sockets are disabled meanwhile)."""
    return transform(template)
