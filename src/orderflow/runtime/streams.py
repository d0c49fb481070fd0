"""Stream event source mappings (DynamoDB streams) delivered like Lambda's pollers do.

One dispatcher thread per mapping (= one shard, in order, ParallelizationFactor 1). A record written
by a PutItem is queued in O(1) - the write never waits for the function - and the dispatcher:

1. drops records that match none of the mapping's ``FilterCriteria`` patterns (:mod:`.event_filter`);
2. invokes the function with up to ``BatchSize`` queued records. ``MaximumBatchingWindowInSeconds``
   is deliberately not waited for locally: whatever is queued when the dispatcher wakes is one batch;
3. on a function error (a crashed or timed-out environment included: ``Runtime.ExitError``,
   ``Sandbox.Timedout``) retries the whole batch (halving it first when
   ``BisectBatchOnFunctionError``; a split is not a retry and is not waited for); with
   ``FunctionResponseTypes: [ReportBatchItemFailures]`` a response ``{"batchItemFailures":
   [{"itemIdentifier": <SequenceNumber>}]}`` retries from the failed record with the lowest sequence
   number (the records before it are done); an identifier that is not in the batch fails the batch;
4. waits before each retry, as Lambda's pollers back off: :data:`BACKOFF_BASE_S` seconds, doubled
   at each retry of the same records, at most :data:`BACKOFF_CAP_S` (AWS documents no schedule; this
   one outlasts a crashed invocation's Powertools idempotency "in progress" record, which expires
   with the invocation's timeout, within a few retries). The waits go through ``sleep`` (injectable)
   and are multiplied by ``time_scale`` (``orderflow up --time-scale``; 0 skips them, every attempt
   still happens); ``stop()`` cuts a wait short;
5. after ``MaximumRetryAttempts`` retries (-1/absent, AWS's "until the record expires", is capped at
   :data:`UNBOUNDED_RETRIES_CAP` locally so a poison record cannot stall the stream forever), or once
   the oldest record left is older than ``MaximumRecordAgeInSeconds`` (checked before each retry, on
   ``clock``), sends the invocation record Lambda sends to the ``DestinationConfig.OnFailure`` SQS
   queue / SNS topic (condition ``RetryAttemptsExhausted`` / ``RecordAgeExceeded``), and moves on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from .event_filter import matches_any, parse_filter_criteria
from .model import InvokeResult
from .moto.backends import send_to_destination

log = logging.getLogger("orderflow.runtime")

UNBOUNDED_RETRIES_CAP = 10
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
_STOP = object()

Invoke = Callable[[str, dict[str, Any]], InvokeResult]


def backoff_seconds(retry: int) -> float:
    """The wait before the ``retry``-th retry (1-based) of the same records."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, retry - 1))


class StreamDispatchers:
    """Every mapping's dispatcher, plus a way to wait until all queued records are handled."""

    def __init__(
        self,
        invoke: Invoke,
        account_id: str,
        region: str,
        *,
        time_scale: float | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._invoke = invoke
        self._stopping = threading.Event()
        # Backoff waits: ``sleep(seconds x time_scale)``; by default an Event wait that stop() ends.
        self.time_scale = 1.0 if time_scale is None else float(time_scale)
        self.sleep: Callable[[float], Any] = sleep or self._stopping.wait
        self.clock = clock  # epoch seconds, for MaximumRecordAgeInSeconds
        self.backoffs: list[float] = []  # every wait asked for (unscaled seconds), in order
        self._account_id = account_id
        self._region = region
        self._dispatchers: dict[str, _Dispatcher] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0
        self.delivered_batches = 0

    def submit(self, esm: Any, record: dict[str, Any]) -> None:
        with self._lock:
            dispatcher = self._dispatchers.get(esm.uuid)
            if dispatcher is None:
                dispatcher = _Dispatcher(self, esm)
                self._dispatchers[esm.uuid] = dispatcher
        with self._idle:
            self._pending += 1
        dispatcher.queue.put(record)

    def _done(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            if self._pending <= 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued record was delivered (or dropped / sent to its failure destination)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending <= 0, timeout)

    def _backoff(self, seconds: float) -> None:
        self.backoffs.append(seconds)
        scaled = seconds * self.time_scale
        if scaled > 0 and not self._stopping.is_set():
            self.sleep(scaled)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            dispatchers = list(self._dispatchers.values())
            self._dispatchers.clear()
        for dispatcher in dispatchers:
            dispatcher.queue.put(_STOP)
        for dispatcher in dispatchers:
            dispatcher.thread.join(timeout=5)


class _Dispatcher:
    def __init__(self, owner: StreamDispatchers, esm: Any):
        self.owner = owner
        self.esm = esm
        self.patterns = parse_filter_criteria(esm.filter_criteria)
        self.batch_size = int(esm.batch_size or 100)
        retries = esm.max_retry_attempts
        self.max_retries = UNBOUNDED_RETRIES_CAP if retries is None or int(retries) < 0 else int(retries)
        age = esm.max_record_age
        self.max_age = None if age is None or int(age) < 0 else int(age)
        self.report_item_failures = "ReportBatchItemFailures" in (esm.function_response_types or [])
        self.bisect = bool(esm.bisect_on_error)
        self.queue: queue.Queue[Any] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=f"esm-{esm.uuid[:8]}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is _STOP:
                return
            records = [first]
            while len(records) < self.batch_size:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self.queue.put(_STOP)
                    break
                records.append(more)
            try:
                kept = [r for r in records if matches_any(self.patterns, r)]
                if kept:
                    self._deliver(kept, self.max_retries)
            except Exception:
                log.exception("stream mapping %s: delivery failed", self.esm.uuid)
            finally:
                self.owner._done(len(records))

    def _deliver(self, batch: list[dict[str, Any]], retries_left: int, attempts: int = 0) -> None:
        retried = 0
        while batch:
            attempts += 1
            result = self.owner._invoke(self.esm.function_arn, {"Records": batch})
            self.owner.delivered_batches += 1
            failed_from = self._failed_from(batch, result)
            if failed_from is None:
                return
            if result.function_error and self.bisect and len(batch) > 1:
                half = len(batch) // 2
                self._deliver(batch[:half], retries_left, attempts)
                self._deliver(batch[half:], retries_left, attempts)
                return
            batch = batch[failed_from:]
            if retries_left <= 0:
                self._on_failure(batch, result, attempts, "RetryAttemptsExhausted")
                return
            retried += 1
            self.owner._backoff(backoff_seconds(retried))
            if self.owner._stopping.is_set():
                return  # stopped mid-wait: the records stay undelivered, as in a stopped poller
            if self._too_old(batch[0]):
                self._on_failure(batch, result, attempts, "RecordAgeExceeded")
                return
            retries_left -= 1

    def _too_old(self, record: dict[str, Any]) -> bool:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if self.max_age is None or created is None:
            return False
        return self.owner.clock() - float(created) > self.max_age

    def _failed_from(self, batch: list[dict[str, Any]], result: InvokeResult) -> int | None:
        """Index of the first record to retry, or None when the batch succeeded."""
        if result.function_error:
            return 0
        if not self.report_item_failures or not isinstance(result.payload, dict):
            return None
        failures = result.payload.get("batchItemFailures") or []
        if not failures:
            return None
        sequence = [r["dynamodb"].get("SequenceNumber") for r in batch]
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequence:
                return 0  # an unknown identifier fails the whole batch, as in Lambda
            indexes.append(sequence.index(identifier))
        return min(indexes)

    def _on_failure(
        self, batch: list[dict[str, Any]], result: InvokeResult, attempts: int, condition: str
    ) -> None:
        destination = ((self.esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        log.warning(
            "stream mapping %s: giving up on %d record(s) after %d attempt(s) (%s)%s",
            self.esm.uuid,
            len(batch),
            attempts,
            condition,
            f", sent to {destination}" if destination else "",
        )
        if not destination:
            return
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        invocation_record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.esm.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": result.function_error or "",
            },
            "version": "1.0",
            "timestamp": now,
            "DDBStreamBatchInfo": {
                "shardId": "shardId-00000001541626099285-f35f62ef",
                "startSequenceNumber": batch[0]["dynamodb"].get("SequenceNumber"),
                "endSequenceNumber": batch[-1]["dynamodb"].get("SequenceNumber"),
                "approximateArrivalOfFirstRecord": _arrival(batch[0]),
                "approximateArrivalOfLastRecord": _arrival(batch[-1]),
                "batchSize": len(batch),
                "streamArn": self.esm.event_source_arn,
            },
        }
        if not send_to_destination(
            destination, json.dumps(invocation_record), self.owner._account_id, self.owner._region
        ):
            log.warning("failure destination %s is not supported locally (SQS and SNS are)", destination)


def _arrival(record: dict[str, Any]) -> str | None:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if created is None:
        return None
    return dt.datetime.fromtimestamp(float(created), dt.UTC).isoformat().replace("+00:00", "Z")
