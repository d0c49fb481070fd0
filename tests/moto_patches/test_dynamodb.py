"""The gaps of runtime/moto/dynamodb.py: dynamodb_isolation and dynamodb_transactions (its pair at the end).

dynamodb_isolation: DynamoDB requests isolated from each other, as DynamoDB promises.

"DynamoDB transactions provide serializable isolation" between a TransactWriteItems and a PutItem,
UpdateItem, DeleteItem, BatchWriteItem (per item) or another TransactWriteItems, and "read-committed"
isolation for GetItem, Query and Scan: a read never sees a transaction half-applied
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).

Plain moto runs concurrent requests on shared items with no isolation. Every test here holds a
transaction at a gate inside the backend - its first write done, its condition check on the next item
(which fails) not yet made - while another request writes (or reads) the same item, and lets it go
once that request has committed or is waiting for the transaction. The cancelled transaction must then
undo only its own write. Without the patch its rollback puts back the item (plain moto: the whole
table) as it was when it started, and the other request's committed write is gone.

* the gap pair (as tests/moto_patches/support.py describes it for every patch) in-process on plain moto;
* the same checks over the wire, on the embedded AWS with the runtime's patch set (moto.start);
* a stress test over the wire: 16 threads of UpdateItem and TransactWriteItems decrements on one item,
  a fifth of the transactions cancelled, one of them held at the gate: every committed decrement is
  consumed, and the stream's records (and what the stream mapping hands Lambda) follow the commits.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from orderflow.ports import free_port
from orderflow.runtime import moto as moto_layer
from orderflow.runtime.embedded_aws import EmbeddedAws
from orderflow.runtime.moto import REGISTRY, backends
from orderflow.runtime.moto import dynamodb as moto_dynamodb
from tests.moto_patches import support
from tests.moto_patches.support import (
    REGION,
    client,
    create_function,
    create_stream_table,
    gap,
    spy_function_invocations,
    stream_records,
)

# Only a guard against a hang: every wait ends on an event. 10 s was hit on a machine at load 20
# (the gap test then failed with TimeoutError instead of its assertion).
DEADLINE_SECONDS = 60.0
Client = Callable[[str], Any]

# ------------------------------------------------------------------------------------ the gate


class ReportingLock:
    """The patch's lock, saying when a request has to wait for it (that request is held back)."""

    def __init__(self, contended: threading.Event):
        self._lock = threading.RLock()
        self._contended = contended

    def __enter__(self) -> ReportingLock:
        if not self._lock.acquire(blocking=False):
            self._contended.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class Gate:
    """Holds the first transaction that checks item ``pk = gate_key`` inside the backend (moto's
    transact_write_items reads each item with ``backend.get_item`` right before its condition check)
    until :meth:`release`. ``settled`` is set when the concurrent request has committed (the test sets
    it) or waits for the lock."""

    def __init__(self, table: str, gate_key: str, monkeypatch: pytest.MonkeyPatch):
        self.table, self.gate_key = table, gate_key
        self.entered, self.settled, self._release = threading.Event(), threading.Event(), threading.Event()
        self._used = False
        # Looked up per request by the patch; without the patch nothing takes it.
        monkeypatch.setattr(moto_dynamodb, "ISOLATION", ReportingLock(self.settled), raising=False)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Gate]:
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
        original = backend.get_item

        def get_item(table_name: str, keys: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            if table_name == self.table and keys.get("pk") == {"S": self.gate_key} and not self._used:
                self._used = True
                self.entered.set()
                if not self._release.wait(DEADLINE_SECONDS):
                    raise TimeoutError("the gate was never released")
            return original(table_name, keys, *args, **kwargs)

        backend.get_item = get_item  # the instance's attribute: class-level patches stay as they are
        try:
            yield self
        finally:
            self._release.set()
            del backend.get_item

    def wait_entered(self) -> None:
        if not self.entered.wait(DEADLINE_SECONDS):
            raise TimeoutError("the transaction never reached the gate")

    def release_when_settled(self) -> None:
        if not self.settled.wait(DEADLINE_SECONDS):
            raise TimeoutError("the concurrent request neither committed nor waited for the transaction")
        self._release.set()


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:  # handed to the test
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def joined(thread: threading.Thread, box: list[Any]) -> Any:
    thread.join(DEADLINE_SECONDS)
    assert not thread.is_alive(), "the request never answered"
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


# ------------------------------------------------------------------------------------ the check


def create_table(ddb: Any, name: str, stream: bool = False) -> None:
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def decrement(table: str, key: str = "counter") -> dict[str, Any]:
    return {
        "TableName": table,
        "Key": {"pk": {"S": key}},
        "UpdateExpression": "SET n = n - :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }


def cancelled_transaction(table: str, taken_key: str) -> list[dict[str, Any]]:
    """Decrements the counter, then puts ``taken_key`` if absent: cancelled, as it exists."""
    return [
        {"Update": decrement(table)},
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": taken_key}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


# What the concurrent request does to the counter (n = 10, the held transaction's own -1 not counted),
# and the counter it leaves: None for no item. "get" reads, and must read the committed 10.
CONCURRENT: dict[str, tuple[Callable[[Any, str], Any], int | None]] = {
    "UpdateItem": (lambda ddb, t: ddb.update_item(**decrement(t)), 9),
    "PutItem": (lambda ddb, t: ddb.put_item(TableName=t, Item={"pk": {"S": "counter"}, "n": {"N": "7"}}), 7),
    "DeleteItem": (lambda ddb, t: ddb.delete_item(TableName=t, Key={"pk": {"S": "counter"}}), None),
    "BatchWriteItem": (
        lambda ddb, t: ddb.batch_write_item(
            RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "counter"}, "n": {"N": "7"}}}}]}
        ),
        7,
    ),
    "TransactWriteItems": (
        lambda ddb, t: ddb.transact_write_items(TransactItems=[{"Update": decrement(t)}]),
        9,
    ),
    "GetItem": (lambda ddb, t: ddb.get_item(TableName=t, Key={"pk": {"S": "counter"}}), 10),
}


def counter(ddb: Any, table: str) -> int | None:
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}}, ConsistentRead=True).get("Item")
    return None if item is None else int(item["n"]["N"])


def check_dynamodb_isolation(client: Client, request: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = client("dynamodb")
    table = f"isolation-{uuid.uuid4().hex[:8]}"
    create_table(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": "10"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "gate"}})
    concurrent, expected = CONCURRENT[request]

    gate = Gate(table, "gate", monkeypatch)
    with gate.installed():
        held = in_thread(lambda: ddb.transact_write_items(TransactItems=cancelled_transaction(table, "gate")))
        gate.wait_entered()  # the transaction's decrement is written, its condition check is next

        def concurrent_request() -> Any:
            answer = concurrent(ddb, table)
            gate.settled.set()  # committed (unpatched), or it waited for the transaction (patched)
            return answer

        other = in_thread(concurrent_request)
        gate.release_when_settled()
        with pytest.raises(ClientError, match="TransactionCanceledException"):
            joined(*held)
        answer = joined(*other)

    if request == "GetItem":
        assert int(answer["Item"]["n"]["N"]) == 10, "a read saw the cancelled transaction's decrement"
    assert counter(ddb, table) == expected, f"the cancelled transaction undid a committed {request}"


# ------------------------------------------------------------------------- in-process: the gap


def in_process_client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.mark.parametrize("request_kind", list(CONCURRENT))
@gap("dynamodb_isolation")
def test_dynamodb_isolation_gap_in_plain_moto(
    moto_aws: None,
    request_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_dynamodb_isolation(in_process_client, request_kind, monkeypatch)


@pytest.mark.parametrize("request_kind", list(CONCURRENT))
def test_dynamodb_isolation_patched(
    moto_aws: None,
    request_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with REGISTRY.enabled("dynamodb_isolation"):
        check_dynamodb_isolation(in_process_client, request_kind, monkeypatch)


def test_the_isolation_needs_the_stream_mappings_patch() -> None:
    # moto's own stream mappings invoke the function inside the write, under the lock: a function
    # that calls DynamoDB would wait for its own trigger.
    with pytest.raises(KeyError, match="'stream_esm' can be left off only with 'dynamodb_isolation'"):
        moto_layer.check_versions(disabled=("stream_esm",))
    moto_layer.check_versions(disabled=("stream_esm", "dynamodb_isolation"))


# ------------------------------------------------------------------------------- over the wire


class RecordingHooks:
    """The runtime's side of the patches: keeps the stream records the mappings hand Lambda."""

    def __init__(self) -> None:
        self.stream_records: list[dict[str, Any]] = []

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, None]:
        raise AssertionError(f"nothing here invokes a function ({function_name})")

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        self.stream_records.append(record)

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        pass

    def lambda_fault(self, function_name: str) -> None:
        return None

    def iam_denied(self, denial: Any) -> None:
        pass


@pytest.fixture
def embedded_aws() -> Iterator[tuple[Client, RecordingHooks]]:
    """The threaded embedded AWS with the runtime's patches (as ``orderflow up`` runs it): a client
    factory for it, and the hooks that receive its stream records."""
    if REGISTRY.active():
        raise RuntimeError(f"patches already on: {REGISTRY.active()}")
    recorder = RecordingHooks()
    port = free_port()
    with backends.executing_state_machines(port):  # as Runtime._start_aws sets moto up
        backends.reset()
        moto_layer.start(recorder)
        try:
            server = EmbeddedAws(port, {}, admin_token="t")
            server.start()
            try:
                url = f"http://127.0.0.1:{server.port}"
                config = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 1})

                def client(service: str) -> Any:  # as local_client builds it, with room for 16 threads
                    return boto3.client(
                        service,
                        endpoint_url=url,
                        region_name=REGION,
                        aws_access_key_id="x",
                        aws_secret_access_key="x",
                        config=config,
                    )

                yield client, recorder
            finally:
                server.stop()
        finally:
            moto_layer.stop()


@pytest.mark.parametrize("request_kind", list(CONCURRENT))
def test_a_cancelled_transaction_undoes_only_its_own_write_over_the_wire(
    embedded_aws: tuple[Client, RecordingHooks], request_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = embedded_aws
    check_dynamodb_isolation(client, request_kind, monkeypatch)


THREADS, OPERATIONS = 16, 20


def test_concurrent_transactions_and_updates_lose_no_decrement_and_stream_in_commit_order(
    embedded_aws: tuple[Client, RecordingHooks], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, recorder = embedded_aws
    ddb, iam, lam = client("dynamodb"), client("iam"), client("lambda")
    table = f"stress-{uuid.uuid4().hex[:8]}"
    create_table(ddb, table, stream=True)
    stream_arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    role = iam.create_role(RoleName=f"role-{table}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = lam.create_function(
        FunctionName=f"fn-{table}",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},  # an empty zip: it is never invoked here
    )["FunctionArn"]
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON"
    )
    start = THREADS * OPERATIONS
    ddb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": str(start)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "gate"}})

    gate = Gate(table, "gate", monkeypatch)
    committed = [0] * THREADS

    def work(thread: int) -> None:
        for op in range(OPERATIONS):
            after_gate = gate.entered.is_set()  # this write starts while the gated transaction is held
            if op % 2 == 0:
                ddb.update_item(**decrement(table))
            else:
                transaction = op // 2
                if transaction % 5 == 0:  # a fifth cancelled; thread 0's first one meets the gate
                    taken = "gate" if (thread, transaction) == (0, 0) else "taken"
                    with pytest.raises(ClientError, match="TransactionCanceledException"):
                        ddb.transact_write_items(TransactItems=cancelled_transaction(table, taken))
                    continue
                ddb.transact_write_items(
                    TransactItems=[
                        {"Update": decrement(table)},
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": f"o-{thread}-{op}"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            committed[thread] += 1
            if after_gate:
                gate.settled.set()

    with gate.installed():
        workers = [in_thread(lambda t=t: work(t)) for t in range(THREADS)]
        gate.wait_entered()
        gate.release_when_settled()
        for worker in workers:
            joined(*worker)

    consumed = start - counter(ddb, table)  # type: ignore[operator]
    assert sum(committed) == THREADS * (OPERATIONS - 2), "two of each thread's ten transactions cancelled"
    assert consumed == sum(committed), f"{sum(committed) - consumed} committed decrements were lost"

    # The stream: one record per committed write, in commit order (each counter image one below the
    # one before), with unique rising sequence numbers; the mapping hands Lambda exactly those.
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    sequence = [int(record["dynamodb"]["SequenceNumber"]) for record in records]
    assert sequence == sorted(set(sequence)), "sequence numbers unique and rising"
    images = [
        (int(record["dynamodb"]["OldImage"]["n"]["N"]), int(record["dynamodb"]["NewImage"]["n"]["N"]))
        for record in records
        if record["eventName"] == "MODIFY" and record["dynamodb"]["Keys"]["pk"] == {"S": "counter"}
    ]
    assert images == [(start - i, start - i - 1) for i in range(consumed)], "counter records in commit order"
    delivered = [int(record["dynamodb"]["SequenceNumber"]) for record in recorder.stream_records]
    assert delivered == sequence, "the mapping hands Lambda every record once, in the shard's order"


# ------------------------------------------------------------------------ dynamodb_transactions


def check_dynamodb_transactions(
    monkeypatch: pytest.MonkeyPatch, runtime_hooks: support.RecordingHooks
) -> None:
    from moto.dynamodb.models.table import Table

    stream_arn = create_stream_table()
    function_arn = create_function()
    client("lambda").create_event_source_mapping(
        FunctionName=function_arn, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON"
    )
    invoked = spy_function_invocations(monkeypatch)
    table_copies: list[str] = []
    original_reduce = Table.__reduce_ex__

    def reduce_ex(self: Any, protocol: Any) -> Any:  # what copy.deepcopy(table) calls: a real copy
        table_copies.append(self.name)
        return original_reduce(self, protocol)

    monkeypatch.setattr(Table, "__reduce_ex__", reduce_ex)

    def deliveries() -> list[Any]:  # moto's synchronous invoke, or the runtime's dispatcher
        return invoked + runtime_hooks.stream_records

    dynamodb = client("dynamodb")
    cancelled = [
        {"Put": {"TableName": "items", "Item": {"pk": {"S": "new"}}}},
        {
            "ConditionCheck": {
                "TableName": "items",
                "Key": {"pk": {"S": "absent"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=cancelled)
    assert dynamodb.scan(TableName="items")["Items"] == []
    assert stream_records(stream_arn) == []
    assert (deliveries(), table_copies) == ([], []), (
        "a cancelled transaction's writes reach no function, and no table is copied whole for it"
    )

    dynamodb.transact_write_items(TransactItems=cancelled[:1])
    assert len(deliveries()) == 1, "a committed transaction's record is delivered once"
    assert [record["eventName"] for record in stream_records(stream_arn)] == ["INSERT"]
    assert table_copies == []


@gap("dynamodb_transactions")
def test_dynamodb_transactions_gap_in_plain_moto(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: support.RecordingHooks
) -> None:
    check_dynamodb_transactions(monkeypatch, runtime_hooks)


def test_dynamodb_transactions_patched(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, runtime_hooks: support.RecordingHooks
) -> None:
    # The journal (no table copies) is this patch alone. Holding stream records until the commit applies
    # to the records stream_esm routes: without stream_esm moto invokes inside the Put itself (that
    # patch's own gap, shown below), so both are on here.
    with REGISTRY.enabled("dynamodb_transactions", "stream_esm"):
        check_dynamodb_transactions(monkeypatch, runtime_hooks)
