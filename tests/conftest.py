"""Shared test set-up: functions on sys.path, a fake AWS account, moto resources from template.yaml."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for code_dir in ("functions/common", "functions/orders", "functions/users"):
    path = str(ROOT / code_dir)
    if path not in sys.path:
        sys.path.insert(0, path)

# A fake account before any boto3 client exists: nothing in the unit tests may reach AWS.
for name, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "orderflow-tests",
    "POWERTOOLS_SERVICE_NAME": "orderflow",
    "POWERTOOLS_DEV": "false",
}.items():
    os.environ[name] = value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture
def aws() -> Iterator[None]:
    """An empty moto account for one test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def template_resources(aws: None) -> dict[str, str]:
    """Every table and queue of template.yaml, created in moto: logical id -> table name / queue URL."""
    from support.aws import create_data_resources

    return create_data_resources()
