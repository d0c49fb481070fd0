"""Real crashes: a function's worker process is killed (SIGKILL) while it is held at a gate in one of
its AWS calls, so the crash lands at an exact point every run, not by timing luck.

The gate is a wrapper in front of the embedded AWS's WSGI app: the worker's call arrives there and
waits while the test kills the process (``Runtime.kill_worker``), then the call is either dropped
(the crash came *before* the call) or applied with its answer sent to the dead process (the crash
came *after* the call committed, before the function could return). Lambda reports the dead
environment as ``Runtime.ExitError``; what follows is the application's own recovery.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.e2e.e2e_support import Stack, eventually

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Crash = Callable[[dict[str, Any], bytes], bool]  # (environ, body) -> crash here?


class Killed(list[int]):
    """The killed process ids, filled in by the gate's thread. The killed worker's invocation can
    answer (Runtime.ExitError) before that thread has recorded the pids: wait() for it."""

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()

    def wait(self, timeout: float = 60) -> Killed:
        assert self.done.wait(timeout), "the gate never killed the worker"
        return self


def crash_at(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, function: str, when: str, matches: Crash
) -> Killed:
    """Kill ``function``'s worker at the first AWS call that ``matches``: ``before`` it reaches the
    service, or ``after`` the service applied it. Returns the killed process ids (see Killed.wait)."""
    server = stack.runtime._server._server  # the embedded AWS's WsgiServer
    app: WsgiApp = server.app
    killed = Killed()

    def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if killed:
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if not matches(environ, body):
            return app(environ, start_response)
        if when == "before":  # the call never reaches the service
            killed.extend(stack.runtime.kill_worker(function))
            killed.done.set()
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b"{}"]
        answer: list[Any] = []
        body_out = b"".join(app(environ, lambda status, headers, *exc: answer.extend([status, headers])))
        killed.extend(stack.runtime.kill_worker(function))  # applied; the answer goes to a dead process
        killed.done.set()
        start_response(answer[0], answer[1])
        return [body_out]

    monkeypatch.setattr(server, "app", gated)
    return killed


def target(environ: dict[str, Any]) -> str:
    return str(environ.get("HTTP_X_AMZ_TARGET", ""))


def lambda_failures(stack: Stack, execution_arn: str) -> list[tuple[str, str]]:
    """(state, error) of every failed Task attempt in the execution's history."""
    sfn = stack.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    by_id = {e["id"]: e for e in events}
    failures = []
    for event in events:
        if event["type"] == "TaskFailed":
            state = by_id.get(event["previousEventId"], {})
            while state and state["type"] != "TaskStateEntered":
                state = by_id.get(state.get("previousEventId"), {})
            failures.append(
                (
                    state.get("stateEnteredEventDetails", {}).get("name", "?"),
                    event["taskFailedEventDetails"]["error"],
                )
            )
    return failures


@pytest.mark.parametrize("when", ["before", "after"], ids=["before-the-call", "after-the-commit"])
def test_write_order_crash_ends_confirmed_with_one_decrement_and_one_notification(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    ids = stack.seed_products(mug=3, bowl=4)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    killed = crash_at(
        stack,
        monkeypatch,
        "WriteOrderFunction",
        when,
        lambda environ, body: target(environ).endswith(".TransactWriteItems") and order_id.encode() in body,
    )
    status, accepted = stack.api.post(
        "/orders",
        {
            "orderId": order_id,
            "customerId": "c-crash",
            "items": [{"productId": ids["mug"], "quantity": 1}, {"productId": ids["bowl"], "quantity": 2}],
        },
    )
    assert status == 202, (status, accepted)

    final, _ = stack.final_status(order_id, timeout=60)
    assert len(killed.wait()) == 1, "the WriteOrder worker was killed once, at the gate"
    assert final["status"] == "CONFIRMED", final
    assert (stack.stock_of(ids["mug"]), stack.stock_of(ids["bowl"])) == (2, 2), "exactly one decrement"
    order = stack.order_item(order_id)
    assert order is not None and order["totalAmount"] == Decimal("7.5")
    notifications = eventually(
        lambda: [n for n in stack.drain_notifications() if n["orderId"] == order_id] or None,
        what="the order's notification",
    )
    assert len(notifications) == 1, notifications
    assert final["notification"]["status"] == "SENT"
    # the dead environment surfaced as Runtime.ExitError on WriteOrder, and its retry succeeded
    assert lambda_failures(stack, accepted["executionArn"]) == [("WriteOrder", "Runtime.ExitError")]


def test_mailer_crash_mid_batch_delays_a_mail_and_never_loses_one(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = stack.runtime.streams
    assert streams is not None
    idempotency = stack.table("IdempotencyTable")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        # A fake clock for the one thing here that expires: the idempotency records' IN_PROGRESS
        # deadlines (set by the workers from the invocation's remaining time) move back by the wait.
        waits.append(seconds)
        for item in idempotency.scan(ConsistentRead=True)["Items"]:
            if item.get("status") == "INPROGRESS" and "in_progress_expiration" in item:
                idempotency.update_item(
                    Key={"id": item["id"]},
                    UpdateExpression="SET in_progress_expiration = :t",
                    ExpressionAttributeValues={":t": item["in_progress_expiration"] - int(seconds * 1000)},
                )

    monkeypatch.setattr(streams, "sleep", sleep)
    prefix = uuid.uuid4().hex[:8]
    emails = [f"{prefix}-{n}@example.com" for n in range(4)]

    # The first user's invocation is held until the three others are written: they are one batch.
    invoke = streams._invoke
    first_held, release = threading.Event(), threading.Event()

    def held(function_arn: str, event: dict[str, Any]) -> Any:
        images = [r["dynamodb"].get("NewImage", {}).get("email", {}).get("S") for r in event["Records"]]
        if emails[0] in images and not first_held.is_set():
            first_held.set()
            assert release.wait(15), "the test never released the first batch"
        return invoke(function_arn, event)

    monkeypatch.setattr(streams, "_invoke", held)
    # In the batch of users 1-3, the worker dies at user 2's SendEmail, before SES has it: user 1's
    # mail is sent and recorded, user 2's idempotency record is left IN_PROGRESS by a dead invocation.
    killed = crash_at(
        stack,
        monkeypatch,
        "UserStreamMailerFunction",
        "before",
        lambda environ, body: any(
            emails[2] in values for values in parse_qs(body.decode("utf-8", "replace")).values()
        ),
    )
    status, _ = stack.api.post("/users", {"email": emails[0], "name": "User 0"})
    assert status == 201
    assert first_held.wait(15)
    for n in (1, 2, 3):
        status, _ = stack.api.post("/users", {"email": emails[n], "name": f"User {n}"})
        assert status == 201
    release.set()
    assert stack.runtime.wait_for_streams(timeout=60)

    assert len(killed.wait()) == 1, "the mailer's worker was killed once, mid-batch"
    for email in emails:
        welcome = [m for m in stack.mails_to(email) if "welcome" in m["subject"].lower()]
        assert len(welcome) == 1, (email, stack.mails_to(email))
    # user 2 waited on backoff until the dead invocation's IN_PROGRESS record had expired
    assert waits and waits == [1, 2, 4, 8, 16][: len(waits)], waits
    sqs = stack.client("sqs")
    failures = sqs.receive_message(
        QueueUrl=stack.runtime.resources["UserStreamMailerFailures"], MaxNumberOfMessages=10
    ).get("Messages", [])
    assert [json.loads(m["Body"]) for m in failures] == [], "nothing was given up on"


def test_notify_order_is_not_retried_after_a_crash_its_message_is_parked(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NotifyOrder is not idempotent: a crash after SQS took the message is not retried (a retry
    would send it again); the message is parked in the DLQ, the order stays CONFIRMED. Both copies
    carry the orderId, which is how a consumer or a redrive tells them apart."""
    ids = stack.seed_products(plate=2)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    killed = crash_at(
        stack,
        monkeypatch,
        "NotifyOrderFunction",
        "after",
        lambda environ, body: target(environ).endswith(".SendMessage") and order_id.encode() in body,
    )
    status, accepted = stack.api.post(
        "/orders",
        {"orderId": order_id, "customerId": "c-crash", "items": [{"productId": ids["plate"], "quantity": 1}]},
    )
    assert status == 202, (status, accepted)
    final, _ = stack.final_status(order_id, timeout=60)
    assert len(killed.wait()) == 1
    assert final["status"] == "CONFIRMED"
    assert final["notification"]["status"] == "PARKED"
    assert stack.stock_of(ids["plate"]) == 1
    assert lambda_failures(stack, accepted["executionArn"]) == [("NotifyOrder", "Runtime.ExitError")]
    sent = eventually(
        lambda: [n for n in stack.drain_notifications() if n["orderId"] == order_id] or None,
        what="the message the crashed invocation sent",
    )
    assert len(sent) == 1
    sqs = stack.client("sqs")
    parked = [
        json.loads(m["Body"])
        for m in sqs.receive_message(
            QueueUrl=stack.runtime.resources["OrderNotificationsDlq"], MaxNumberOfMessages=10
        ).get("Messages", [])
    ]
    # the DLQ is the shared stack's: other tests' messages may be there too
    assert [p["error"] for p in parked if p.get("orderId") == order_id] == ["Runtime.ExitError"]
