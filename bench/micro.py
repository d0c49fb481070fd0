"""Micro-benchmark of the embedded AWS's request path (not a test): raw DynamoDB GetItem latency.

    .venv/bin/python bench/micro.py [--calls 500] [--clients 1]

Starts :class:`orderflow.runtime.embedded_aws.EmbeddedAws` (moto behind orderflow's HTTP server) in a
child process, creates one table with one item, then times GetItem issued by ``--clients`` threads,
each with its own boto3 client (boto3 keeps its connections in a pool, like the Lambda handlers).
Prints p50/p95/mean per call, calls/s and the server's CPU ms per call.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import threading
import time
from typing import Any

from orderflow.ports import free_port


def _serve(port: int, ready: Any, stop: Any) -> None:
    from orderflow.runtime.embedded_aws import EmbeddedAws

    server = EmbeddedAws(port, {}, admin_token=secrets.token_urlsafe())
    server.start()
    ready.set()
    stop.wait()
    server.stop()


def _client(port: int) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="micro",
        aws_secret_access_key="micro",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500, help="GetItem calls per client")
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()

    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(port, ready, stop), daemon=True)
    proc.start()
    try:
        if not ready.wait(60):
            raise SystemExit("embedded AWS did not start")
        setup = _client(port)
        setup.create_table(
            TableName="micro",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        setup.put_item(TableName="micro", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        latencies: list[float] = []
        lock = threading.Lock()

        def run() -> None:
            client = _client(port)
            for _ in range(20):  # warm-up
                client.get_item(TableName="micro", Key={"pk": {"S": "a"}})
            mine = []
            for _ in range(args.calls):
                started = time.perf_counter()
                client.get_item(TableName="micro", Key={"pk": {"S": "a"}})
                mine.append((time.perf_counter() - started) * 1000)
            with lock:
                latencies.extend(mine)

        cpu_before = _cpu_s(proc.pid)
        started = time.perf_counter()
        threads = [threading.Thread(target=run) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        calls = args.calls * args.clients
        server_cpu_ms = (_cpu_s(proc.pid) - cpu_before) * 1000 / (calls + 20 * args.clients)
        latencies.sort()
        print(
            f"GetItem x{calls} ({args.clients} clients): p50 {statistics.median(latencies):.2f} ms  "
            f"p95 {latencies[int(len(latencies) * 0.95)]:.2f} ms  mean {statistics.fmean(latencies):.2f} ms  "
            f"{calls / elapsed:.0f} calls/s  server CPU {server_cpu_ms:.2f} ms/call"
        )
    finally:
        stop.set()
        proc.join(10)


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
