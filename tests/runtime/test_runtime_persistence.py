"""The request gate that lets a state snapshot see the embedded AWS between requests, never mid-way."""

from __future__ import annotations

import threading

import pytest

from orderflow.runtime.persistence import RequestGate, passes_gate


def test_a_snapshot_waits_for_the_requests_in_flight_and_holds_new_ones_back() -> None:
    gate = RequestGate()
    in_request, release = threading.Event(), threading.Event()
    order: list[str] = []

    def request(name: str, hold: bool) -> None:
        with gate.request():
            order.append(f"{name} in")
            if hold:
                in_request.set()
                assert release.wait(10)
            order.append(f"{name} out")

    first = threading.Thread(target=request, args=("first", True))
    first.start()
    assert in_request.wait(10)
    snapshot_started = threading.Event()

    def snapshot() -> None:
        snapshot_started.set()
        with gate.exclusive():
            order.append("snapshot")
            late.start()  # a request arriving during the snapshot waits for its end
            order.append("snapshot done")

    late = threading.Thread(target=request, args=("late", False))
    writer = threading.Thread(target=snapshot)
    writer.start()
    assert snapshot_started.wait(10)
    assert "snapshot" not in order  # first is still in flight
    release.set()
    for thread in (first, writer):
        thread.join(10)
    late.join(10)
    assert order == ["first in", "first out", "snapshot", "snapshot done", "late in", "late out"]
    assert gate.requests == 2


def test_a_request_that_never_ends_delays_a_snapshot_only_up_to_the_drain_timeout() -> None:
    gate = RequestGate(drain_timeout=0.01)
    entered, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with gate.request():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=stuck)
    thread.start()
    assert entered.wait(10)
    with gate.exclusive():
        pass  # reached although the request is still in flight
    release.set()
    thread.join(10)


@pytest.mark.parametrize(
    ("environ", "gated"),
    [
        ({"PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, True),
        ({"PATH_INFO": "/2015-03-31/functions/fn/invocations"}, False),
        ({"PATH_INFO": "/2015-03-31/functions/arn%3Aaws%3Alambda/invocations/"}, False),
        ({"PATH_INFO": "/2014-11-13/functions/fn/invoke-async/"}, False),
        ({"PATH_INFO": "/2015-03-31/functions/fn"}, True),
        ({"PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "AWSStepFunctions.StartSyncExecution"}, False),
        ({"PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "AWSStepFunctions.StartExecution"}, True),
    ],
)
def test_requests_that_wait_for_other_requests_do_not_pass_the_gate(
    environ: dict[str, str], gated: bool
) -> None:
    assert passes_gate(dict(environ)) is gated
