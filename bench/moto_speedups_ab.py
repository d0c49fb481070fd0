"""A/B of two speed-up patches of moto (not a test): ``backend_dict_lookup`` and ``sqs_send_attributes``.

    .venv/bin/python bench/moto_speedups_ab.py [--rounds 7] [--calls 200] [--depth 2000]

Starts :class:`orderflow.runtime.embedded_aws.EmbeddedAws` (moto behind orderflow's HTTP server) in a
child process, controlled over a pipe, and measures three variants of it, interleaved (the order
rotates every round so that no variant always runs first or last):

* ``plain``: neither patch on;
* ``lookup``: ``backend_dict_lookup`` on;
* ``both``: ``backend_dict_lookup`` and ``sqs_send_attributes`` on.

Per round and variant:

* ``--calls`` DynamoDB GetItem, one kept-alive boto3 client;
* ``--calls`` // 2 GetItem from each of ``--clients`` concurrent clients (threads, a client each);
* inside the server process, 20,000 backend lookups ``x_backends[account]`` (µs per lookup), with the
  16 services of :data:`IN_USE` in use, the last one registered timed;
* ``--calls`` SendMessage to a new empty queue (so it holds 0 to ``--calls`` messages);
* ``--calls`` // 4 SendMessage to a new queue the child filled with ``--depth`` messages first.

For each: the child's CPU per call (``time.process_time`` of the server process, all its threads)
and the client's wall-clock p50 per call. Printed and written to ``--output``: the median over the
rounds of each figure, per variant. Also counted once per variant (no timing): BackendDict lookups
per request, and message reads (``visible``/``delayed``) per send on the deep queue.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import secrets
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from orderflow.ports import free_port

VARIANTS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "lookup": ("backend_dict_lookup",),
    "both": ("backend_dict_lookup", "sqs_send_attributes"),
}

# what `orderflow up` has in use once the template is deployed (CloudFormation, the template's
# resource types, IAM/STS of the role checks, the execution logs); the last is timed by "lookups"
IN_USE = (
    "cloudformation",
    "iam",
    "sts",
    "dynamodb",
    "dynamodbstreams",
    "sqs",
    "lambda",
    "logs",
    "cloudwatch",
    "ses",
    "stepfunctions",
    "apigateway",
    "kms",
    "events",
    "sns",
    "s3",
)


def _serve(port: int, conn: Any) -> None:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict
    from moto.sqs.models import Message, sqs_backends

    from orderflow.runtime.embedded_aws import EmbeddedAws
    from orderflow.runtime.moto import REGISTRY

    server = EmbeddedAws(port, {}, admin_token=secrets.token_urlsafe())
    server.start()
    counts = {"lookups": 0, "reads": 0}
    saved: list[tuple[Any, str, Any]] = []
    conn.send("ready")
    while True:
        command, *args = conn.recv()
        if command == "set":
            REGISTRY.disable_all()
            REGISTRY.enable(*args[0])
            conn.send(REGISTRY.active())
        elif command == "cpu":
            conn.send(time.process_time())
        elif command == "fill":
            # appended as moto's send does (Message, mark_sent, add_message's append), minus the
            # send's own cost, which is what is measured
            queue = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_queue(args[0])
            for i in range(args[1]):
                message = Message(str(uuid.uuid4()), f"filler {i}")
                message.mark_sent()
                queue._messages.append(message)
            conn.send(len(queue._messages))
        elif command == "count":  # wrap the lookup and the message reads as they are now
            counts.update(lookups=0, reads=0)
            getitem = BackendDict.__getitem__

            def counted_getitem(self: Any, account_id: str, _get: Any = getitem) -> Any:
                counts["lookups"] += 1
                return _get(self, account_id)

            saved.append((BackendDict, "__getitem__", getitem))
            BackendDict.__getitem__ = counted_getitem  # type: ignore[method-assign]
            for name in ("visible", "delayed"):
                prop = getattr(Message, name)

                def counted(self: Any, _get: Any = prop.fget) -> bool:
                    counts["reads"] += 1
                    return bool(_get(self))

                saved.append((Message, name, prop))
                setattr(Message, name, property(counted))
            conn.send(None)
        elif command == "counted":
            while saved:
                owner, name, original = saved.pop()
                setattr(owner, name, original)
            conn.send(dict(counts))
        elif command == "lookups":  # time args[0] lookups of an account that has its backends
            # with the services a deployed template has in use (moto's lookup compares the BackendDict
            # with each one registered before it): the last one registered is timed
            for service in IN_USE:
                backend_dict = get_backend(service)  # type: ignore[call-overload]
                backend_dict[DEFAULT_ACCOUNT_ID]
            started = time.perf_counter()
            for _ in range(args[0]):
                backend_dict[DEFAULT_ACCOUNT_ID]
            elapsed = time.perf_counter() - started
            conn.send((elapsed * 1e6 / args[0], len(BackendDict._instances)))  # type: ignore[misc]
        elif command == "stop":
            server.stop()
            conn.send(None)
            return


def _client(service: str, port: int) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def _ask(conn: Any, *command: Any) -> Any:
    conn.send(command)
    return conn.recv()


def _timed(conn: Any, calls: int, call: Any) -> dict[str, float]:
    """Server CPU ms per call and wall p50 ms per call of ``calls`` calls."""
    walls = []
    cpu_before = _ask(conn, "cpu")
    for _ in range(calls):
        started = time.perf_counter()
        call()
        walls.append((time.perf_counter() - started) * 1000)
    cpu_ms = (_ask(conn, "cpu") - cpu_before) * 1000 / calls
    return {"server_cpu_ms": cpu_ms, "wall_p50_ms": statistics.median(walls)}


def _timed_concurrent(conn: Any, clients: int, calls: int, make: Any, call: Any) -> dict[str, float]:
    """``clients`` threads, each with its own client, ``calls`` calls each: server CPU ms per call
    and wall p50 ms per call."""
    made = [make() for _ in range(clients)]
    for client in made:
        call(client)  # its connection
    walls: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def run(client: Any) -> None:
        mine = []
        barrier.wait()
        for _ in range(calls):
            started = time.perf_counter()
            call(client)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            walls.extend(mine)

    cpu_before = _ask(conn, "cpu")
    threads = [threading.Thread(target=run, args=(client,)) for client in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_ms = (_ask(conn, "cpu") - cpu_before) * 1000 / (clients * calls)
    return {"server_cpu_ms": cpu_ms, "wall_p50_ms": statistics.median(walls)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8, help="concurrent GetItem clients")
    parser.add_argument("--depth", type=int, default=2000, help="messages in the deep queue")
    parser.add_argument("--output", type=Path, default=Path("bench/results/moto-speedups-ab.json"))
    args = parser.parse_args()

    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(port, child), daemon=True)
    proc.start()
    if not parent.poll(60) or parent.recv() != "ready":
        raise SystemExit("embedded AWS did not start")
    try:
        dynamodb, sqs = _client("dynamodb", port), _client("sqs", port)
        dynamodb.create_table(
            TableName="bench",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="bench", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        body = json.dumps({"orderId": "o-1", "status": "CONFIRMED", "total": "12.34"})

        def get_item() -> None:
            dynamodb.get_item(TableName="bench", Key={"pk": {"S": "a"}})

        def get_item_with(client: Any) -> None:
            client.get_item(TableName="bench", Key={"pk": {"S": "a"}})

        def sender(url: str) -> Any:
            return lambda: sqs.send_message(QueueUrl=url, MessageBody=body)

        names = list(VARIANTS)
        results: dict[str, dict[str, list[float]]] = {name: {} for name in names}
        for _ in range(20):  # warm-up: imports, connection, first-request paths
            get_item()
        for rnd in range(args.rounds):
            order = names[rnd % len(names) :] + names[: rnd % len(names)]
            for name in order:
                _ask(parent, "set", VARIANTS[name])
                figures = {"getitem": _timed(parent, args.calls, get_item)}
                figures[f"getitem_{args.clients}_clients"] = _timed_concurrent(
                    parent, args.clients, args.calls // 2, lambda: _client("dynamodb", port), get_item_with
                )
                lookup_us, in_use = _ask(parent, "lookups", 20000)
                figures["backend_lookup"] = {"us": lookup_us}
                empty = sqs.create_queue(QueueName=f"empty-{rnd}-{name}")["QueueUrl"]
                figures[f"send_0_to_{args.calls}"] = _timed(parent, args.calls, sender(empty))
                deep_name = f"deep-{rnd}-{name}"
                deep = sqs.create_queue(QueueName=deep_name)["QueueUrl"]
                _ask(parent, "fill", deep_name, args.depth)
                figures[f"send_at_{args.depth}"] = _timed(parent, max(1, args.calls // 4), sender(deep))
                sqs.delete_queue(QueueUrl=deep)
                for what, measured in figures.items():
                    for key, value in measured.items():
                        results[name].setdefault(f"{what}.{key}", []).append(value)
        counted: dict[str, dict[str, Any]] = {}
        for name in names:
            _ask(parent, "set", VARIANTS[name])
            deep_name = f"count-{name}"
            deep = sqs.create_queue(QueueName=deep_name)["QueueUrl"]
            _ask(parent, "fill", deep_name, args.depth)
            _ask(parent, "count")
            get_item()
            per_getitem = _ask(parent, "counted")["lookups"]
            _ask(parent, "count")
            sqs.send_message(QueueUrl=deep, MessageBody=body)
            per_send = _ask(parent, "counted")
            counted[name] = {
                "backend_lookups_per_getitem": per_getitem,
                "backend_lookups_per_sendmessage": per_send["lookups"],
                f"message_reads_per_sendmessage_at_{args.depth}": per_send["reads"],
            }
            sqs.delete_queue(QueueUrl=deep)
        _ask(parent, "stop")
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.terminate()

    medians = {
        name: {metric: round(statistics.median(values), 3) for metric, values in sorted(metrics.items())}
        for name, metrics in results.items()
    }
    report = {
        "what": "bench/moto_speedups_ab.py: embedded AWS (moto behind orderflow's HTTP server, no other "
        "patch on), one kept-alive boto3 client; medians over interleaved rounds",
        "machine": {"python": platform.python_version(), "cpus": multiprocessing.cpu_count()},
        "args": {"rounds": args.rounds, "calls": args.calls, "depth": args.depth},
        "variants": {name: list(patches) for name, patches in VARIANTS.items()},
        "medians": medians,
        "counted": counted,
        "backend_dicts_in_use": in_use,
        "rounds": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    metrics = sorted(medians["plain"])
    print(f"{'median per call':40s}" + "".join(f"{name:>10s}" for name in names))
    for metric in metrics:
        print(f"{metric:40s}" + "".join(f"{medians[name][metric]:10.3f}" for name in names))
    for key in counted["plain"]:
        print(f"{key:40s}" + "".join(f"{counted[name][key]:>10}" for name in names))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
