"""The reliability suite: orders and users through the stack while the embedded AWS injects faults,
then the invariants the design promises.

    .venv/bin/python -m orderflow.reliability [--orders 1000] [--clients 16] [--stock 100] [--seed 7]

(``make soak`` runs the full one; ``tests/reliability`` a small one.) It boots ``template.yaml`` in
this process with ``--time-scale 0`` (the ASL's Retry waits and botocore's retry sleeps in the
functions are skipped, every attempt still happens), loads a few products holding ``stock`` units in
all, turns on :data:`DEFAULT_FAULTS` (20% DynamoDB throttling, 10% SQS errors, 5% Lambda throttles,
SES throttling and mailer crashes on the stream side), and from ``clients`` threads places ``orders``
orders (POST /orders) and creates users (POST /users, retried on 503 as a client would). Once every
execution has stopped and the stream is drained, the faults go off and it checks:

* stock is conserved (initial = remaining + units of confirmed orders) and never negative;
* every order is CONFIRMED, REJECTED or FAILED with a reason, and GET /orders/{id} reports it;
* no order is written twice (the Orders table holds exactly the confirmed orders);
* every confirmed order's notification is in the queue once or parked in the DLQ (none lost);
* every user has exactly one welcome mail.

Figures: orders, outcomes, injected faults by kind, retries seen in the execution histories.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from orderflow.api.client import ApiClient
from orderflow.polling import wait_until
from orderflow.ports import free_port
from orderflow.session import LocalSession, SessionOptions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PRODUCTS = 4

DEFAULT_FAULTS: dict[str, Any] = {
    "rules": [
        {
            "name": "dynamodb-throttling",
            "service": "dynamodb",
            "error": "ProvisionedThroughputExceededException",
            "probability": 0.2,
        },
        {"name": "sqs-errors", "service": "sqs", "error": "InternalError", "probability": 0.1},
        {
            "name": "lambda-throttles",
            "service": "lambda",
            "error": "TooManyRequestsException",
            "probability": 0.05,
        },
        {"name": "ses-throttling", "service": "ses", "error": "Throttling", "probability": 0.1},
        {
            "name": "mailer-crashes",
            "service": "lambda",
            "resources": ["UserStreamMailerFunction"],
            "error": "crash",
            "probability": 0.05,
        },
    ]
}


@dataclass
class Report:
    orders: int = 0
    users: int = 0
    clients: int = 0
    seconds: float = 0.0  # boot to the last execution stopped and the stream drained
    boot_seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    notifications: Counter[str] = field(default_factory=Counter)
    injected: dict[str, int] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    api_retries: int = 0
    stream_batches_given_up: int = 0  # in the mailer's OnFailure queue (after its retries)
    invariants: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, problem: str = "") -> None:
        self.invariants[name] = ok
        if not ok:
            self.problems.append(f"{name}: {problem}")

    @property
    def ok(self) -> bool:
        return all(self.invariants.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "users": self.users,
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "boot_seconds": round(self.boot_seconds, 2),
            "outcomes": dict(self.outcomes),
            "notifications": dict(self.notifications),
            "injected": self.injected,
            "retries_in_histories": dict(self.retries),
            "api_retries": self.api_retries,
            "stream_batches_given_up": self.stream_batches_given_up,
            "invariants": self.invariants,
            "problems": self.problems,
        }

    def format(self) -> str:
        lines = [
            f"orders {self.orders} from {self.clients} clients, users {self.users}: "
            f"{self.seconds - self.boot_seconds:.1f} s of traffic (+ {self.boot_seconds:.1f} s boot)",
            "outcomes      " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            "notifications " + ", ".join(f"{k} {v}" for k, v in sorted(self.notifications.items())),
            "injected      " + ", ".join(f"{k} {v}" for k, v in sorted(self.injected.items())),
            "retries seen in histories "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.retries.items())) or "none"),
            f"API calls retried by the clients (503/429): {self.api_retries}",
            f"stream batches given up on (in the mailer's failure queue): {self.stream_batches_given_up}",
        ]
        lines += [f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in self.invariants.items()]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def _with_retries(call: Any, report: Report, lock: threading.Lock, attempts: int = 20) -> tuple[int, Any]:
    """A client's retries: 429 and 5xx again (at once: the stack's time scale is 0)."""
    status, body = call()
    for _ in range(attempts):
        if status != 429 and status < 500:
            break
        with lock:
            report.api_retries += 1
        status, body = call()
    return status, body


def seed_products(ddb: Any, table: str, stock: int, rng: random.Random) -> dict[str, int]:
    """PRODUCTS products holding ``stock`` units in all."""
    stocks = [stock // PRODUCTS + (1 if i < stock % PRODUCTS else 0) for i in range(PRODUCTS)]
    products = {f"rel-{i}": units for i, units in enumerate(stocks)}
    for pid, units in products.items():
        ddb.put_item(
            TableName=table,
            Item={
                "productId": {"S": pid},
                "name": {"S": f"reliability product {pid}"},
                "price": {"N": str(Decimal("2.50") + rng.randrange(100) / Decimal(100))},
                "stock": {"N": str(units)},
            },
        )
    return products


def order_bodies(products: list[str], count: int, rng: random.Random) -> list[dict[str, Any]]:
    bodies = []
    for i in range(count):
        picked = rng.sample(products, rng.choice((1, 1, 2)))
        bodies.append(
            {
                "orderId": f"rel-{i:05d}",
                "customerId": f"cust-{i % 23}",
                "items": [{"productId": pid, "quantity": rng.choice((1, 1, 2, 3))} for pid in picked],
            }
        )
    return bodies


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message of the queue (received once each, with a visibility timeout longer than the run)."""
    bodies: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600)
        messages = got.get("Messages") or []
        if not messages:
            return bodies
        bodies += [json.loads(m["Body"]) for m in messages]


def _history_retries(sfn: Any, execution_arn: str) -> Counter[str]:
    """The errors after which a Task state was scheduled again (a Retrier fired), by error name."""
    retried: Counter[str] = Counter()
    pending: str | None = None
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        for event in page["events"]:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                pending = None
            elif kind in ("TaskFailed", "LambdaFunctionFailed"):
                details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails")
                pending = (details or {}).get("error", "?")
            elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and pending is not None:
                retried[pending] += 1
                pending = None
    return retried


def run(
    orders: int = 100,
    clients: int = 16,
    stock: int = 100,
    seed: int = 7,
    users: int | None = None,
    faults: dict[str, Any] | None = None,
    timeout: float = 600.0,
    workers: int = 1,
) -> Report:
    """Boot the stack, run the traffic under faults, check the invariants (see the module's docstring)."""
    rng = random.Random(seed)  # noqa: S311 - test data
    users = orders // 10 if users is None else users
    report = Report(orders=orders, users=users, clients=clients)
    options = SessionOptions(
        TEMPLATE,
        stack_name="reliability",
        aws_port=free_port(),
        api_port=free_port(),
        time_scale=0,
        check_handlers=True,
        max_workers_per_function=workers,
    )
    started = time.perf_counter()
    with LocalSession(options) as session:
        rt = session.runtime
        assert rt is not None and session.api is not None
        report.boot_seconds = time.perf_counter() - started
        ddb, sqs, sfn = rt.client("dynamodb"), rt.client("sqs"), rt.client("stepfunctions")
        products = seed_products(ddb, rt.resources["ProductsTable"], stock, rng)
        bodies = order_bodies(sorted(products), orders, rng)
        from orderflow.runtime.faults import parse_rules

        document = dict(faults or DEFAULT_FAULTS)
        document.setdefault("seed", seed)
        rt.set_faults(parse_rules(document, "reliability faults"))

        lock = threading.Lock()
        work: list[tuple[str, Any]] = [("order", body) for body in bodies]
        work += [("user", {"email": f"user{i}@example.com", "name": f"User {i}"}) for i in range(users)]
        random.Random(seed).shuffle(work)  # noqa: S311
        submit_errors: list[str] = []

        def client(index: int) -> None:
            api = ApiClient(session.api.url if session.api else "", timeout=60)
            try:
                for kind, body in work[index::clients]:
                    path = "/orders" if kind == "order" else "/users"
                    status, answer = _with_retries(lambda: api.post(path, body), report, lock)  # noqa: B023
                    if status not in (201, 202, 409):
                        with lock:
                            submit_errors.append(f"POST {path} answered {status}: {answer}")
            finally:
                api.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report.check(
            "every order and user accepted by the API", not submit_errors, "; ".join(submit_errors[:5])
        )

        workflow = rt.outputs.get("OrderWorkflowArn") or next(
            arn
            for key, arn in rt.resources.items()
            if rt.resource_types[key] == "AWS::StepFunctions::StateMachine"
        )

        def all_stopped() -> bool:
            running = sfn.list_executions(stateMachineArn=workflow, statusFilter="RUNNING", maxResults=1)
            return not running["executions"]

        wait_until(all_stopped, timeout=timeout, what="every execution to stop", interval=0.05)
        rt.wait_for_streams(timeout=timeout)
        snapshot = rt.faults.snapshot()
        rt.faults.clear()  # the checks below read through the same endpoint
        report.injected = {k: v for k, v in snapshot["injected"].items() if v}
        report.rules = snapshot["rules"]
        report.seconds = time.perf_counter() - started
        _check(report, rt, session.api.url, bodies, products, ddb, sqs, sfn, workflow)
    return report


def _check(
    report: Report,
    rt: Any,
    api_url: str,
    bodies: list[dict[str, Any]],
    products: dict[str, int],
    ddb: Any,
    sqs: Any,
    sfn: Any,
    workflow: str,
) -> None:
    account = workflow.split(":")[4]
    region = workflow.split(":")[3]
    local = threading.local()

    def look(body: dict[str, Any]) -> tuple[str, dict[str, Any], Counter[str], int, Any]:
        if not hasattr(local, "api"):
            local.api = ApiClient(api_url, timeout=60)
        order_id = body["orderId"]
        arn = f"arn:aws:states:{region}:{account}:execution:{workflow.rsplit(':', 1)[-1]}:{order_id}"
        described = sfn.describe_execution(executionArn=arn)
        status, answer = local.api.get(f"/orders/{order_id}")
        return order_id, described, _history_retries(sfn, arn), status, answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        looked = list(pool.map(look, bodies))
    outputs: dict[str, dict[str, Any]] = {}
    unexplained = []
    for order_id, described, retries, status, answer in looked:
        report.retries.update(retries)
        if described["status"] == "SUCCEEDED":
            output = json.loads(described["output"])
            outcome = output.get("status")
            outputs[order_id] = output
            if outcome not in ("CONFIRMED", "REJECTED") or status != 200 or answer.get("status") != outcome:
                unexplained.append(f"{order_id}: {outcome} / GET {status} {answer}")
        else:
            outcome = "FAILED"
            if not described.get("error") or status != 200 or answer.get("status") != "FAILED":
                unexplained.append(
                    f"{order_id}: {described['status']} without a reason / GET {status} {answer}"
                )
        report.outcomes[outcome] += 1
    report.check(
        "every order CONFIRMED, REJECTED or FAILED with a reason, and retrievable",
        not unexplained,
        "; ".join(unexplained[:5]),
    )

    confirmed = {oid: out for oid, out in outputs.items() if out.get("status") == "CONFIRMED"}
    table = rt.resources["OrdersTable"]
    written = [
        item["orderId"]["S"]
        for page in ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="orderId")
        for item in page["Items"]
    ]
    report.check(
        "no order written twice, none written but the confirmed",
        sorted(written) == sorted(confirmed),
        f"{len(written)} written, {len(set(written))} distinct, {len(confirmed)} confirmed",
    )

    remaining = {
        item["productId"]["S"]: int(item["stock"]["N"])
        for item in ddb.scan(TableName=rt.resources["ProductsTable"])["Items"]
        if item["productId"]["S"] in products
    }
    sold: Counter[str] = Counter()
    for output in confirmed.values():
        for line in output["items"]:
            sold[line["productId"]] += int(line["quantity"])
    conserved = all(products[p] == remaining[p] + sold[p] for p in products)
    report.check(
        "stock conserved and never negative",
        conserved and all(units >= 0 for units in remaining.values()),
        f"initial {products}, remaining {remaining}, sold {dict(sold)}",
    )

    queued = Counter(m.get("orderId") for m in _drain(sqs, rt.resources["OrderNotificationsQueue"]))
    parked = Counter(m.get("orderId") for m in _drain(sqs, rt.resources["OrderNotificationsDlq"]))
    lost = []
    for order_id, output in confirmed.items():
        kind = (output.get("notification") or {}).get("status", "?")
        report.notifications[kind] += 1
        in_queue, in_dlq = queued[order_id], parked[order_id]
        if in_queue + in_dlq != 1:
            lost.append(f"{order_id}: {in_queue} in the queue, {in_dlq} in the DLQ ({kind})")
    strays = sorted(str(order_id) for order_id in set(queued) - set(confirmed))
    report.check(
        "every confirmed order's notification in the queue once or parked in the DLQ",
        not lost and not strays,
        "; ".join(lost[:5]) + (f" strays: {strays[:5]}" if strays else ""),
    )

    report.stream_batches_given_up = len(_drain(sqs, rt.resources["UserStreamMailerFailures"]))
    emails = [
        item["email"]["S"]
        for page in ddb.get_paginator("scan").paginate(TableName=rt.resources["UsersTable"])
        for item in page["Items"]
    ]
    mails = Counter(mail["to"] for mail in rt.outbox())
    wrong = [f"{email}: {mails[email]} mails" for email in emails if mails[email] != 1]
    report.check(
        "every user exactly one welcome mail",
        len(emails) == report.users and not wrong,
        f"{len(emails)} users of {report.users}; " + "; ".join(wrong[:5]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orderflow-reliability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--users", type=int, default=None, help="default orders / 10")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    report = run(args.orders, args.clients, args.stock, args.seed, args.users)
    print(report.format())
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
