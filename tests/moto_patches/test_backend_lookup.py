"""Patch ``backend_dict_lookup`` (orderflow.runtime.moto.backend_lookup): the cost in plain moto (strict
xfail) and the patched lookup, which must still create, register, reset and save/load as moto does.

The cost is counted, not timed: per lookup of an account that has its backends, moto takes the global
``backend_lock`` once and calls ``BackendDict.keys()`` once (to build ``list(self.keys())``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from moto.core import base_backend
from moto.core.base_backend import BackendDict
from moto.sqs.models import sqs_backends

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import backends as moto_backends
from orderflow.runtime.moto import state as moto_state
from tests.moto_patches.support import ACCOUNT, REGION, client, gap

LOOKUPS = 100


class CountingLock:
    """moto's backend_lock, counting how often it is taken."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self.taken = 0

    def __enter__(self) -> Any:
        self.taken += 1
        return self.lock.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.lock.__exit__(*exc)


def count_lookup_cost(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """(lock acquisitions, keys() calls) for LOOKUPS lookups of an account that has its backends."""
    client("sqs").create_queue(QueueName="there")
    existing = sqs_backends[ACCOUNT]
    lock = CountingLock(base_backend.backend_lock)
    listed = []
    moto_keys = BackendDict.keys

    def keys(self: Any) -> Any:
        listed.append(self.service_name)
        return moto_keys(self)

    monkeypatch.setattr(base_backend, "backend_lock", lock)
    monkeypatch.setattr(BackendDict, "keys", keys)
    for _ in range(LOOKUPS):
        assert sqs_backends[ACCOUNT] is existing
    monkeypatch.undo()
    return lock.taken, len(listed)


def check_backend_dict_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    assert count_lookup_cost(monkeypatch) == (0, 0), "a lookup of an existing account is a dict read"


@gap("backend_dict_lookup")
def test_backend_dict_lookup_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_backend_dict_lookup(monkeypatch)


def test_backend_dict_lookup_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("backend_dict_lookup"):
        check_backend_dict_lookup(monkeypatch)


def test_plain_moto_cost_is_one_lock_and_one_listing_per_lookup(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the gap test's xfail stands for: the cost it removes, as counted on plain moto."""
    assert count_lookup_cost(monkeypatch) == (LOOKUPS, LOOKUPS)


# ------------------------------------------------------------ the patched lookup still behaves as moto's


def test_a_new_account_is_created_and_registered_through_moto(moto_aws: None) -> None:
    with REGISTRY.enabled("backend_dict_lookup"):
        BackendDict.reset()
        assert "210987654321" not in dict.keys(sqs_backends)
        account_backend = sqs_backends["210987654321"]
        assert account_backend.account_id == "210987654321"
        assert sqs_backends["210987654321"] is account_backend
        assert sqs_backends in BackendDict._instances  # type: ignore[misc]
        assert account_backend[REGION].region_name == REGION


def test_a_reset_empties_what_a_lookup_finds(moto_aws: None) -> None:
    with REGISTRY.enabled("backend_dict_lookup"):
        client("sqs").create_queue(QueueName="gone")
        before = sqs_backends[ACCOUNT]
        moto_backends.reset()
        after = sqs_backends[ACCOUNT]
        assert after is not before
        assert after[REGION].queues == {}
        assert client("sqs").list_queues().get("QueueUrls", []) == []
        assert sqs_backends in BackendDict._instances  # type: ignore[misc]


def test_threads_looking_up_a_new_account_at_once_get_one_backend(moto_aws: None) -> None:
    """8 threads released together by a barrier look up an account that has no backends yet: whatever
    the interleaving, all get the same one and the BackendDict is registered once."""
    account = "333333333333"
    barrier = threading.Barrier(8)
    found: list[Any] = []
    errors: list[BaseException] = []

    def look_up() -> None:
        try:
            barrier.wait()
            for _ in range(200):
                found.append(sqs_backends[account])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    with REGISTRY.enabled("backend_dict_lookup"):
        BackendDict.reset()
        threads = [threading.Thread(target=look_up, daemon=True) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)  # a safety net for a hang, not a timing the test relies on
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        assert len(found) == 8 * 200
        assert len({id(backend) for backend in found}) == 1
        assert BackendDict._instances.count(sqs_backends) == 1  # type: ignore[misc]


def test_state_saved_and_loaded_with_the_patch_on(moto_aws: None, tmp_path: Path) -> None:
    patches = (*moto_state.STATE_PATCHES, "backend_dict_lookup")
    with REGISTRY.enabled(*patches):
        sqs = client("sqs")
        url = sqs.create_queue(QueueName="kept")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="survives")
        moto_state.save(tmp_path / "state")
        moto_backends.reset()
        assert sqs.list_queues().get("QueueUrls", []) == []
        moto_state.load(tmp_path / "state")
        assert sqs_backends in BackendDict._instances  # type: ignore[misc]
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == "survives"
