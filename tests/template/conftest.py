"""Fixtures for the template-level tests: the parsed template, the ASL file, the offline SAM transform."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderflow.runtime.moto.sfn import substitute
from tests.support.aws import load_template
from tests.template.sam_offline import transform
from tests.template.template_support import ASL_PATH, fake_value


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


@pytest.fixture(scope="module")
def substitutions(template) -> dict[str, Any]:
    return template["Resources"]["OrderWorkflow"]["Properties"]["DefinitionSubstitutions"]


@pytest.fixture(scope="module")
def deployed_definition(template, substitutions) -> str:
    """The definition as Step Functions receives it: placeholders substituted."""
    values = {name: fake_value(value, template) for name, value in substitutions.items()}
    return substitute(ASL_PATH.read_text(encoding="utf-8"), values, require_all=True)
