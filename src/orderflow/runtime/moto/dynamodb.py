"""DynamoDB gaps: requests are not isolated from each other; TransactWriteItems copies whole tables
and leaks cancelled writes to streams."""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from . import hooks
from .registry import REGISTRY, Patch, Patcher

_transaction = threading.local()


def hold_stream_record(esm: Any, record: dict[str, Any]) -> bool:
    """Inside a journaled transaction in this thread: keep the record until it commits (True)."""
    pending = getattr(_transaction, "stream_records", None)
    if pending is None:
        return False
    pending.append((esm, record))
    return True


class _CopyWithoutTables:
    """``copy`` as moto.dynamodb.models sees it while a journaled transaction runs in this thread:
    deep-copying a whole Table (moto's rollback backup) is skipped - the journal restores instead."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table) and getattr(_transaction, "journal", None) is not None:
            return value
        return copy.deepcopy(value, memo)


def _transaction_keys(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """(table, hash key, range key) of every item a transaction may write."""
    keys = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None or op_type == "ConditionCheck":
            continue
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        if not isinstance(key, dict) or table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        if table.range_key_attr is not None and range_key is None:
            continue  # invalid: moto rejects it before writing anything
        keys.append((table, hash_key, range_key))
    return keys


def _restore(journal: list[tuple[Any, Any, Any, Any]]) -> None:
    # Puts back what the transaction found. That undoes only its own writes because nothing else
    # writes while it runs: dynamodb_isolation holds every other request back until it has answered.
    for table, hash_key, range_key, item in reversed(journal):
        items = table.items[hash_key] if range_key is not None else table.items
        key = range_key if range_key is not None else hash_key
        if item is None:
            items.pop(key, None)
        else:
            items[key] = item


def _apply_transactions(patcher: Patcher) -> None:
    original = DynamoDBBackend.transact_write_items
    patcher.replace(dynamodb_models, "copy", _CopyWithoutTables())

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        keys = _transaction_keys(self, transact_items)
        journal = [(t, h, r, copy.deepcopy(t.get_item(h, r))) for t, h, r in keys]
        shards = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, _, _ in keys if t.stream_shard}
        _transaction.journal, _transaction.stream_records = journal, []
        try:
            original(self, transact_items)
        except BaseException:
            _restore(journal)
            for shard, length in shards.values():
                del shard.items[length:]  # the cancelled writes never reach the stream
            raise
        else:
            for esm, record in _transaction.stream_records:
                hooks.current().stream_record(esm, record)
        finally:
            _transaction.journal = _transaction.stream_records = None

    patcher.replace(DynamoDBBackend, "transact_write_items", transact_write_items)


DYNAMODB_TRANSACTIONS = REGISTRY.register(
    Patch(
        "dynamodb_transactions",
        "gap",
        "TransactWriteItems deep-copies every table it touches as its rollback backup (O(table size) "
        "per transaction), and the stream records of a cancelled transaction's partial writes still "
        "reach Lambda; here a journal of the touched items replaces the table copies, and stream records "
        "are released to the mappings only when the transaction commits",
        _apply_transactions,
    )
)


# ----------------------------------------------------------------------------- dynamodb_isolation
# DynamoDB isolates a transaction serializably from PutItem, UpdateItem, DeleteItem, BatchWriteItem (per
# item) and other transactions, and reads are read-committed: none sees a transaction half-applied
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).
# A stream shows each item's modifications exactly once and in order; here all records follow the
# commit order, which is stronger than the guide promises across items (consumers may not rely on it).

ISOLATION = threading.RLock()
"""Held for the whole of each DynamoDB request (a module attribute, looked up per request, so that a
test can put in a lock that reports contention)."""


def _apply_isolation(patcher: Patcher) -> None:
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        # From the request's authorization and condition checks through its writes, its stream records
        # and the serialised answer: one request at a time, in the order they take the lock.
        with ISOLATION:
            return original(self)

    patcher.replace(DynamoHandler, "call_action", call_action)


DYNAMODB_ISOLATION = REGISTRY.register(
    Patch(
        "dynamodb_isolation",
        "gap",
        "requests run concurrently on shared items with no isolation: a cancelled TransactWriteItems "
        "restores the tables (or, with dynamodb_transactions, the items) it touched over what other "
        "requests committed meanwhile, writes interleave with a transaction's checks and writes, a read "
        "sees a transaction half-applied, and concurrent writes to one stream shard can share a "
        "sequence number or hand Lambda another write's record; here each DynamoDB request (PutItem, "
        "UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, PartiQL, reads) runs alone, so "
        "requests are serializable and stream records are appended and delivered in commit order",
        _apply_isolation,
        # moto's own stream mappings invoke the function inside the write (under the lock): a function
        # that calls DynamoDB would wait for its own trigger until it times out.
        requires=("stream_esm",),
    )
)
