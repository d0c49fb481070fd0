"""orderflow.runtime.moto.regions_cache: botocore's region lists answered once per process.

The cost is counted, not timed: how many times botocore loads EC2's service model while ``moto.ec2``
is imported, in a fresh interpreter, with and without the cache.
"""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from botocore.session import Session

from orderflow.runtime.moto import regions_cache

# A fresh interpreter imports moto.ec2 and prints how often EC2's model was read from disk; with
# "cached", the cache is installed first (as orderflow.runtime.moto does).
COUNT_EC2_MODEL_LOADS = """
import json, sys
import botocore.loaders
loads = []
original = botocore.loaders.JSONFileLoader.load_file
def counting(self, full_path):
    data = original(self, full_path)
    if data is not None and "/ec2/" in full_path and full_path.endswith("service-2"):
        loads.append(full_path)
    return data
botocore.loaders.JSONFileLoader.load_file = counting
if sys.argv[1] == "cached":
    from orderflow.runtime.moto import regions_cache
    regions_cache.install()
import moto.ec2.models
print(json.dumps(len(loads)))
"""


def ec2_model_loads(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_EC2_MODEL_LOADS, mode], capture_output=True, text=True, check=True
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1]))


def test_plain_moto_loads_ec2s_model_once_per_new_session_at_import() -> None:
    # moto.ec2 asks three new Sessions for EC2's regions (one per partition). When this fails, moto
    # asks differently (one Session, or lazily): the cache may have nothing left to save - drop it.
    assert ec2_model_loads("plain") == 3


def test_with_the_cache_ec2s_model_is_loaded_once() -> None:
    assert ec2_model_loads("cached") == 1


@pytest.mark.parametrize(
    ("service", "partition", "non_regional"),
    [("ec2", "aws", False), ("ec2", "aws-cn", False), ("s3", "aws", True), ("sqs", "aws-us-gov", False)],
)
def test_the_cached_answer_is_botocores(service: str, partition: str, non_regional: bool) -> None:
    assert regions_cache.installed()  # by orderflow.runtime.moto, before moto was imported
    expected = regions_cache._ORIGINAL(Session(), service, partition, non_regional)
    assert expected, "a real question, with a real answer"
    first = boto3.Session().get_available_regions(service, partition, non_regional)
    second = boto3.Session().get_available_regions(service, partition, non_regional)
    assert first == second == expected
    first.append("mutated-by-a-caller")
    assert boto3.Session().get_available_regions(service, partition, non_regional) == expected


def test_an_unknown_service_has_no_regions_cached_or_not() -> None:
    assert boto3.Session().get_available_regions("no-such-service") == []
