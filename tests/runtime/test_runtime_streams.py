"""The stream mapping's retries (runtime/streams.py) against a scripted function: backoff through an
injected sleep and clock (nothing really waits), MaximumRetryAttempts, MaximumRecordAgeInSeconds,
BisectBatchOnFunctionError, and what reaches DestinationConfig.OnFailure."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from orderflow.runtime import streams
from orderflow.runtime.model import InvokeResult
from orderflow.runtime.streams import StreamDispatchers, backoff_seconds

DESTINATION = "arn:aws:sqs:us-east-1:123456789012:failures"
CRASH = InvokeResult({"errorType": "Runtime.ExitError", "errorMessage": "killed"}, "Unhandled", 0.0, False)


class FakeClock:
    """Epoch seconds that move only when the dispatcher sleeps."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def esm(**overrides: Any) -> SimpleNamespace:
    config: dict[str, Any] = {
        "uuid": "0123456789abcdef",
        "filter_criteria": None,
        "batch_size": 10,
        "max_retry_attempts": 3,
        "max_record_age": None,
        "function_response_types": ["ReportBatchItemFailures"],
        "bisect_on_error": False,
        "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:mailer",
        "destination_config": {"OnFailure": {"Destination": DESTINATION}},
        "event_source_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/Users/stream/x",
    }
    config.update(overrides)
    return SimpleNamespace(**config)


def record(sequence: int, created: float) -> dict[str, Any]:
    return {
        "eventID": f"e{sequence}",
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": str(sequence), "ApproximateCreationDateTime": created},
    }


class Harness:
    def __init__(
        self,
        answer: Callable[[list[dict[str, Any]]], InvokeResult],
        monkeypatch: pytest.MonkeyPatch,
        time_scale: float | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.calls: list[list[str]] = []
        self.failures: list[dict[str, Any]] = []
        self._answer = answer
        self._warming, self._warm = threading.Event(), threading.Event()

        def send(arn: str, message: str, account_id: str, region: str) -> bool:
            assert arn == DESTINATION
            self.failures.append(json.loads(message))
            return True

        monkeypatch.setattr(streams, "send_to_destination", send)
        self.dispatchers = StreamDispatchers(
            self._invoke,
            "123456789012",
            "us-east-1",
            time_scale=time_scale,
            sleep=self.clock.sleep,
            clock=self.clock.time,
        )

    def _invoke(self, function_arn: str, event: dict[str, Any]) -> InvokeResult:
        batch = event["Records"]
        if batch[0]["eventID"] == "warm-up":
            self._warming.set()
            assert self._warm.wait(10)
            return InvokeResult(None, None, 0.0, False)
        self.calls.append([r["dynamodb"]["SequenceNumber"] for r in batch])
        return self._answer(batch)

    def run(self, mapping: SimpleNamespace, records: list[dict[str, Any]]) -> None:
        # The dispatcher is held in a warm-up invocation while the records are queued: they are
        # certainly one batch when it wakes.
        warm_up = {"eventID": "warm-up", "dynamodb": {"SequenceNumber": "0"}}
        self.dispatchers.submit(mapping, warm_up)
        assert self._warming.wait(10)
        for r in records:
            self.dispatchers.submit(mapping, r)
        self._warm.set()
        assert self.dispatchers.wait_idle(10)
        self.dispatchers.stop()


def test_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    assert [backoff_seconds(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_crash_is_retried_after_growing_waits_and_the_record_is_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([CRASH, CRASH, InvokeResult({"batchItemFailures": []}, None, 0.0, False)])
    h = Harness(lambda batch: next(answers), monkeypatch)
    h.run(esm(), [record(1, h.clock.now)])
    assert h.calls == [["1"], ["1"], ["1"]]
    assert h.clock.slept == [1, 2], "a wait before each retry, doubled"
    assert h.failures == [], "delivered on its third attempt: nothing for the failure queue"


def test_only_records_failing_every_retry_reach_the_failure_destination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def answer(batch: list[dict[str, Any]]) -> InvokeResult:
        failing = [r for r in batch if r["dynamodb"]["SequenceNumber"] == "2"]
        return InvokeResult(
            {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failing]},
            None,
            0.0,
            False,
        )

    h = Harness(answer, monkeypatch)
    h.run(esm(max_retry_attempts=3), [record(1, h.clock.now), record(2, h.clock.now), record(3, h.clock.now)])
    assert h.calls == [["1", "2", "3"], ["2", "3"], ["2", "3"], ["2", "3"]], "1 attempt + 3 retries"
    assert h.clock.slept == [1, 2, 4]
    assert len(h.failures) == 1
    failure = h.failures[0]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "2"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2


def test_a_record_older_than_maximum_record_age_goes_to_the_destination_instead_of_a_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness(lambda batch: CRASH, monkeypatch)
    # created 55 s ago, MaximumRecordAgeInSeconds 60: retried after 1 s and 2 s, and at 4 s more it is too old
    h.run(esm(max_retry_attempts=-1, max_record_age=60), [record(1, h.clock.now - 55)])
    assert h.calls == [["1"], ["1"], ["1"]]
    assert h.clock.slept == [1, 2, 4]
    assert [f["requestContext"]["condition"] for f in h.failures] == ["RecordAgeExceeded"]
    assert h.failures[0]["requestContext"]["approximateInvokeCount"] == 3


def test_bisect_splits_without_waiting_and_retries_the_failing_half_with_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def answer(batch: list[dict[str, Any]]) -> InvokeResult:
        if any(r["dynamodb"]["SequenceNumber"] == "4" for r in batch):
            return CRASH
        return InvokeResult(None, None, 0.0, False)

    h = Harness(answer, monkeypatch)
    h.run(
        esm(bisect_on_error=True, max_retry_attempts=2, function_response_types=None),
        [record(n, h.clock.now) for n in (1, 2, 3, 4)],
    )
    assert h.calls == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"], ["3"], ["4"], ["4"], ["4"]]
    assert h.clock.slept == [1, 2], "splits are immediate; only retries of the same records wait"
    assert len(h.failures) == 1
    assert h.failures[0]["DDBStreamBatchInfo"]["startSequenceNumber"] == "4"
    assert h.failures[0]["requestContext"]["approximateInvokeCount"] == 5


def test_time_scale_scales_the_waits_and_zero_skips_them(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([CRASH, CRASH, InvokeResult(None, None, 0.0, False)])
    h = Harness(lambda batch: next(answers), monkeypatch, time_scale=0.5)
    h.run(esm(), [record(1, h.clock.now)])
    assert h.clock.slept == [0.5, 1.0]
    assert h.dispatchers.backoffs == [1, 2], "the waits asked for, unscaled"

    answers = iter([CRASH, CRASH, InvokeResult(None, None, 0.0, False)])
    h = Harness(lambda batch: next(answers), monkeypatch, time_scale=0)
    h.run(esm(), [record(1, h.clock.now)])
    assert h.clock.slept == []
    assert len(h.calls) == 3, "every attempt still happens"
