"""Shared test set-up: a fake AWS account, moto resources from template.yaml.

The functions' code roots (functions/common, functions/orders, functions/users) and the repository
root (for ``tests.*`` helper modules) are on the path through pytest's ``pythonpath`` setting.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from tests.support.aws import MOTO_CONFIG, create_data_resources

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
# One build cache for every runtime the session starts (in-process or in subprocesses, whichever
# template): each function's packages are built once, and the next session reuses them.
os.environ.setdefault(
    "ORDERFLOW_BUILD_CACHE", str(Path(__file__).resolve().parent.parent / ".orderflow" / "build-cache")
)


TESTS = Path(__file__).resolve().parent
# Run last, in this order (each item keeps its order otherwise): the sample apps' tests, which wait
# for sessions started when this one was collected (tests/apps/early_apps.py); then the e2e tests,
# whose own processes (tests/e2e/early_support.py) boot meanwhile on the second core, and whose
# stack then boots without them competing for the CPU.
RUN_LAST = (TESTS / "apps" / "test_sample_apps.py", TESTS / "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.resolve()
        for place, last in enumerate(RUN_LAST, start=1):
            if path == last or last in path.parents:
                return place
        return 0

    items.sort(key=rank)


@pytest.fixture
def aws() -> Iterator[None]:
    """An empty moto account for one test."""
    with mock_aws(config=MOTO_CONFIG):
        yield


@pytest.fixture
def template_resources(aws: None) -> dict[str, str]:
    """Every table and queue of template.yaml, created in moto: logical id -> table name / queue URL."""
    return create_data_resources()
