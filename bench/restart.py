"""orderflow benchmark (not a test): how long a restart takes with a state dir holding real data.

    .venv/bin/python bench/restart.py [--items 10000] [--executions 1000] [--clients 8]

Starts ``orderflow up --state-dir <temp dir>`` on the real template (a subprocess, what a developer
runs), writes ``--items`` products (BatchWriteItem) and runs ``--executions`` orders to their end
(StartExecution by ``--clients`` clients, each execution polled until it stopped: real Lambdas,
full histories), then measures

1. an on-demand snapshot (``POST /_orderflow/snapshot``): its time and the file's size;
2. the clean stop (SIGINT -> exit; it writes the final snapshot);
3. the restart on that state dir: spawn -> "orderflow ready" (the stack restored, not redeployed),
   next to a fresh ``--in-memory`` start of the same template measured the same way;
4. that everything came back: item count (Scan Select=COUNT), execution count (ListExecutions),
   one history.

Writes bench/results/restart.json and prints a table. Numbers are measured, never adjusted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import RESULTS, Up, clients, order_body, seed_products, stack_outputs, wait_stopped


def stop(up: Up) -> float:
    assert up.proc is not None
    t0 = time.perf_counter()
    up.proc.send_signal(signal.SIGINT)
    up.proc.wait(120)
    return time.perf_counter() - t0


def run_executions(sfn: Any, workflow_arn: str, products: list[str], count: int, concurrency: int) -> int:
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(count))

    def loop() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = order_body(products, n)
            arn = sfn.start_execution(
                stateMachineArn=workflow_arn, name=body["orderId"], input=json.dumps(body)
            )["executionArn"]
            status = wait_stopped(sfn, arn, timeout=120, poll=0.05)["status"]
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(statuses.values())


def count_executions(sfn: Any, workflow_arn: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=workflow_arn)
    return sum(len(page["executions"]) for page in pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--executions", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--output", type=Path, default=RESULTS / "restart.json")
    args = parser.parse_args()

    state_dir = Path(tempfile.mkdtemp(prefix="orderflow-bench-state-"))
    extra = ["--state-dir", str(state_dir), "--snapshot-interval", "0", "--time-scale", "0"]
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "items": args.items,
        "executions": args.executions,
    }
    try:
        up = Up("bench-restart", extra)
        print(f"starting orderflow up --state-dir {state_dir} ...", flush=True)
        result["first_ready_s"] = round(up.start()[0], 2)
        try:
            c = clients(up.endpoint)
            outputs, _ = stack_outputs(c["cloudformation"], "bench-restart")
            t0 = time.perf_counter()
            products = seed_products(c["dynamodb"], outputs["ProductsTableName"], args.items, 10**9)
            result["load_items_s"] = round(time.perf_counter() - t0, 2)
            print(
                f"{args.items} items in {result['load_items_s']} s; running {args.executions} orders ...",
                flush=True,
            )
            t0 = time.perf_counter()
            done = run_executions(
                c["stepfunctions"], outputs["OrderWorkflowArn"], products, args.executions, args.clients
            )
            result["run_executions_s"] = round(time.perf_counter() - t0, 2)
            token = (state_dir / "admin-token").read_text().strip()
            request = urllib.request.Request(
                f"{up.endpoint}/_orderflow/snapshot",
                data=b"",
                method="POST",
                headers={"X-Orderflow-Admin-Token": token},
            )
            with urllib.request.urlopen(request, timeout=300) as response:
                snapshot = json.loads(response.read())
            result["snapshot_ms"] = snapshot["ms"]
            result["state_file_mb"] = round((state_dir / "aws-state").stat().st_size / 1e6, 1)
            assert done == args.executions, (done, args.executions)
        finally:
            result["clean_stop_s"] = round(stop(up), 2)

        print("restarting on the state dir ...", flush=True)
        again = Up("bench-restart", extra)
        result["restart_ready_s"] = round(again.start()[0], 2)
        # orderflow up's own line: "state: restored from DIR (16.3 MB in 0.9 s)"
        result["restart_state_line"] = next(
            (line for line in again.stderr_tail if line.startswith("state: restored")), ""
        )
        try:
            c = clients(again.endpoint)
            outputs, _ = stack_outputs(c["cloudformation"], "bench-restart")
            scanned = (
                c["dynamodb"]
                .get_paginator("scan")
                .paginate(TableName=outputs["ProductsTableName"], Select="COUNT")
            )
            result["items_after_restart"] = sum(page["Count"] for page in scanned)
            result["executions_after_restart"] = count_executions(
                c["stepfunctions"], outputs["OrderWorkflowArn"]
            )
        finally:
            stop(again)

        print("a fresh in-memory start for comparison ...", flush=True)
        fresh = Up("bench-restart", ["--time-scale", "0"])
        result["fresh_in_memory_ready_s"] = round(fresh.start()[0], 2)
        stop(fresh)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    ok = result["items_after_restart"] == args.items and result["executions_after_restart"] == args.executions
    print("restored whole" if ok else "NOT restored whole")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
