"""A/B of the speed-up patches ``backend_dict_lookup`` and ``sqs_send_attributes`` on the confirm path
(not a test): CPU per order and orders/s of a booted local session, 8 API clients.

    .venv/bin/python bench/moto_speedups_orders.py [--per-client 5] [--rounds 4] [--clients 8]

Boots :class:`orderflow.session.LocalSession` on the real template in this process (the ``up``
process's work: the API, the embedded AWS, the ASL interpreter; the functions run in their worker
processes), seeds three products, then per round and variant (neither patch, each alone, both; the
order rotates every round) has ``--clients`` threads, an API client each, POST ``--per-client``
confirmed orders each and poll each to its end. Per round: this process's CPU per order
(``time.process_time``: the runtime plus the clients' threads, the same for every variant) and
orders/s. Printed and written to ``--output``: per variant, the median over the rounds. The
notification queue is never consumed, so it grows by one message per order over the run, as in a
long session (the number each round started at is in the file).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tests.conftest  # noqa: E402, F401 - the fake credentials and account, as the tests have them
from orderflow.api.client import ApiClient  # noqa: E402
from orderflow.ports import free_port  # noqa: E402
from orderflow.runtime.moto import REGISTRY  # noqa: E402
from orderflow.session import LocalSession, SessionOptions  # noqa: E402
from tests.e2e.e2e_support import TEMPLATE, Stack  # noqa: E402

PATCHES = ("backend_dict_lookup", "sqs_send_attributes")
VARIANTS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "lookup": ("backend_dict_lookup",),
    "sqs": ("sqs_send_attributes",),
    "both": PATCHES,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-client", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/moto-speedups-orders.json")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="which of them, comma-separated (bench/report.py: both)",
    )
    args = parser.parse_args()
    chosen = {name: VARIANTS[name] for name in args.variants.split(",")}

    session = LocalSession(
        SessionOptions(TEMPLATE, stack_name="speedups", aws_port=free_port(), api_port=free_port())
    )
    session.start()
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    orders_sent = 0
    try:
        stack = Stack(session.runtime, session.api, ApiClient(session.api.url), session.runtime.endpoint_url)
        ids = stack.seed_products(beans=10**6, pot=10**6, cup=10**6)

        def order(api: ApiClient) -> None:
            order_id = f"ord-{uuid.uuid4().hex[:12]}"
            items = [{"productId": ids[name], "quantity": 1} for name in ("beans", "pot", "cup")]
            status, _ = api.post("/orders", {"orderId": order_id, "customerId": "c-1", "items": items})
            if status != 202:
                raise SystemExit(f"POST /orders answered {status}")
            body, _ = stack.final_status(order_id)
            if body.get("status") != "CONFIRMED":
                raise SystemExit(f"order {order_id} ended {body}")

        apis = [ApiClient(session.api.url) for _ in range(args.clients)]
        for api in apis:  # warm-up: workers, connections
            order(api)
        orders_sent += len(apis)
        names = list(chosen)
        for rnd in range(args.rounds):
            for name in names[rnd % len(names) :] + names[: rnd % len(names)]:
                REGISTRY.disable(*PATCHES)
                REGISTRY.enable(*chosen[name])
                queue_before = orders_sent
                cpu_before, started = time.process_time(), time.perf_counter()
                threads = [
                    threading.Thread(target=lambda api=api: [order(api) for _ in range(args.per_client)])
                    for api in apis
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                cpu, wall = time.process_time() - cpu_before, time.perf_counter() - started
                count = args.per_client * len(apis)
                orders_sent += count
                rounds[name].append(
                    {
                        "cpu_ms_per_order": cpu * 1000 / count,
                        "orders_per_s": count / wall,
                        "orders_before": queue_before,
                    }
                )
                print(
                    f"round {rnd} {name:7s} {cpu * 1000 / count:6.1f} ms CPU/order",
                    f"{count / wall:6.1f} orders/s",
                )
    finally:
        REGISTRY.enable(*PATCHES)
        session.stop()

    medians = {
        name: {
            metric: round(statistics.median(r[metric] for r in results), 1)
            for metric in ("cpu_ms_per_order", "orders_per_s")
        }
        for name, results in rounds.items()
    }
    report: dict[str, Any] = {
        "what": "bench/moto_speedups_orders.py: a LocalSession on the template in-process, "
        f"{args.clients} API clients, confirmed orders; medians over interleaved rounds; CPU of this process "
        "(runtime + client threads)",
        "args": vars(args) | {"output": str(args.output)},
        "variants": {name: list(patches) for name, patches in chosen.items()},
        "medians": medians,
        "rounds": rounds,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in medians.items():
        print(
            f"{name:7s} median {figures['cpu_ms_per_order']:6.1f} ms CPU/order",
            f"{figures['orders_per_s']:6.1f} orders/s",
        )
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
