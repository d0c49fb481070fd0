"""orderflow benchmark (not a test): how fast is the local runtime on this machine?

    .venv/bin/python bench/run.py [--orders 60] [--load-orders 400] [--clients 8]

Starts ``orderflow up`` as a subprocess (exactly what a developer runs) and measures:

1. ready time: spawn -> the "orderflow ready" line (and the time ``up`` reports itself);
2. engine time of one order with 3 line items: execution startDate -> stopDate (DescribeExecution)
   over N sequential orders (after warm-up), p50/p95, next to the same data-plane calls the
   workflow makes (BatchGetItem, TransactWriteItems, SendMessage - the same request shapes as the
   handlers send) issued directly by one boto3 client against the same embedded endpoint, and the
   ratio. Completion is polled with DescribeExecution every 20 ms: every poll is served by the
   same process (and GIL) as the interpreter, so a 5 ms poll alone added ~10 ms to the engine time
   on a 2-core machine;
3. sustained orders/s: K orders submitted by C concurrent API clients (POST /orders), until the
   last execution has stopped;
4. resident memory of ``orderflow up`` and every process under it (/proc: RSS and PSS).

Writes bench/results/latest.json and prints a table. Numbers are measured, never adjusted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from orderflow.api.client import ApiClient  # noqa: E402
from orderflow.polling import WaitTimeout, wait_until  # noqa: E402
from orderflow.ports import free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGETS = {"ready_s": 10.0, "engine_p50_ms": 50.0, "engine_vs_direct": 1.5, "orders_per_s": 50.0}
REGION = "us-east-1"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 2),
        "p95": round(pct(values, 95), 2),
        "mean": round(statistics.fmean(values), 2) if values else float("nan"),
        "min": round(min(values), 2) if values else float("nan"),
        "max": round(max(values), 2) if values else float("nan"),
    }


# ---------------------------------------------------------------------------- orderflow up
class Up:
    def __init__(self, stack_name: str = "bench", extra_args: list[str] | None = None) -> None:
        self.aws_port, self.api_port = free_port(), free_port()
        self.stack_name = stack_name
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr_tail: list[str] = []

    def start(self, timeout: float = 120.0) -> tuple[float, str]:
        cmd = [
            str(ROOT / ".venv" / "bin" / "orderflow"),
            "up",
            "--template",
            str(ROOT / "template.yaml"),
            "--stack-name",
            self.stack_name,
            "--aws-port",
            str(self.aws_port),
            "--api-port",
            str(self.api_port),
            "--quiet",
            # a fresh embedded AWS each run, unless the caller names a state dir
            *([] if "--state-dir" in self.extra_args else ["--in-memory"]),
            *self.extra_args,
        ]
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("orderflow ready"):
                return time.perf_counter() - started, line.strip()
        self.stop()
        tail = "\n".join(self.stderr_tail[-20:])
        raise SystemExit(f"orderflow up did not get ready:\n{tail}")

    def _pump(self, stream: Any, is_stdout: bool) -> None:
        for line in stream:
            if is_stdout:
                self.lines.put(line)
            else:
                self.stderr_tail.append(line.rstrip())
                del self.stderr_tail[:-200]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def process_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root_pid: int) -> dict[str, float]:
    """utime+stime (s) of the root process and of all its descendants together."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"parent": 0.0, "workers": 0.0}
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        out["parent" if pid == root_pid else "workers"] += used
    return out


def memory(root_pid: int) -> dict[str, Any]:
    rss = pss = 0
    per_process = []
    for pid in process_tree(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
        except OSError:
            continue
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        p_kb = 0
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            p_kb = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
        except OSError:
            pass
        rss += kb
        pss += p_kb
        per_process.append({"pid": pid, "rss_mb": round(kb / 1024, 1), "cmd": cmdline})
    return {
        "processes": len(per_process),
        "rss_mb": round(rss / 1024, 1),
        "pss_mb": round(pss / 1024, 1),
        "per_process": per_process,
    }


# ---------------------------------------------------------------------------- helpers
def clients(endpoint: str) -> dict[str, Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=32)
    return {
        name: session.client(name, endpoint_url=endpoint, region_name=REGION, config=cfg)
        for name in ("cloudformation", "stepfunctions", "dynamodb", "sqs")
    }


def stack_outputs(cfn: Any, stack_name: str) -> tuple[dict[str, str], dict[str, str]]:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    return outputs, resources


def seed_products(ddb: Any, table: str, count: int, stock: int) -> list[str]:
    ids = [f"bench-{i:04d}" for i in range(count)]
    for start in range(0, count, 25):
        ddb.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {
                                "productId": {"S": pid},
                                "name": {"S": f"bench product {pid}"},
                                "price": {"N": "3.25"},
                                "stock": {"N": str(stock)},
                            }
                        }
                    }
                    for pid in ids[start : start + 25]
                ]
            }
        )
    return ids


def order_body(product_ids: list[str], n: int) -> dict[str, Any]:
    picked = [product_ids[(n * 3 + k) % len(product_ids)] for k in range(3)]
    return {
        "orderId": f"bench-{uuid.uuid4().hex[:16]}",
        "customerId": f"cust-{n % 17}",
        "items": [{"productId": pid, "quantity": 1 + k} for k, pid in enumerate(picked)],
    }


def run_clients(client_loop: Any, concurrency: int) -> None:
    """``client_loop(worker_index)`` in ``concurrency`` threads at once, until all return."""
    threads = [threading.Thread(target=client_loop, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def wait_stopped(sfn: Any, arn: str, timeout: float = 30.0, poll: float = 0.02) -> dict[str, Any]:
    """DescribeExecution every ``poll`` s until the execution exists and left RUNNING."""

    def stopped() -> dict[str, Any] | None:
        try:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            return None
        return described if described["status"] != "RUNNING" else None

    try:
        return wait_until(stopped, timeout=timeout, what=f"execution {arn} to stop", interval=poll)
    except WaitTimeout as exc:
        raise SystemExit(str(exc)) from None


# ---------------------------------------------------------------------------- measurements
def measure_engine(
    api: ApiClient, sfn: Any, workflow_arn: str, products: list[str], n: int, warmup: int
) -> dict:
    engine, end_to_end, post = [], [], []
    statuses: dict[str, int] = {}
    for i in range(warmup + n):
        body = order_body(products, i)
        t0 = time.perf_counter()
        status, accepted = api.post("/orders", body)
        t1 = time.perf_counter()
        if status != 202:
            raise SystemExit(f"POST /orders answered {status}: {accepted}")
        described = wait_stopped(sfn, accepted["executionArn"])
        t2 = time.perf_counter()
        output = json.loads(described.get("output") or "{}")
        statuses[output.get("status", described["status"])] = statuses.get(output.get("status", "?"), 0) + 1
        if i < warmup:
            continue
        engine.append((described["stopDate"] - described["startDate"]).total_seconds() * 1000)
        post.append((t1 - t0) * 1000)
        end_to_end.append((t2 - t0) * 1000)
    return {
        "engine_samples_ms": engine,
        "engine_ms": summary(engine),
        "post_202_ms": summary(post),
        "submit_to_stopped_ms": summary(end_to_end),
        "outcomes": statuses,
    }


ARMED_NEVER_FIRING = {
    "rules": [
        {"service": service, "error": error, "probability": 0}
        for service, error in (
            ("dynamodb", "ThrottlingException"),
            ("sqs", "InternalError"),
            ("lambda", "TooManyRequestsException"),
        )
    ]
}


def measure_fault_overhead(
    api: ApiClient, sfn: Any, workflow_arn: str, products: list[str], n: int, endpoint: str, token: str
) -> dict[str, Any]:
    """Engine time with no fault rules next to the same with rules on every service the workflow
    calls that never fire (each request parsed and matched): interleaved blocks on the same `up`,
    so both see the same machine. Plus the middleware's no-rules path alone, in-process, per request."""
    import requests

    from orderflow.runtime.faults import FaultEngine, middleware

    url = f"{endpoint}/_orderflow/faults"
    headers = {"X-Orderflow-Admin-Token": token}
    no_rules: list[float] = []
    armed: list[float] = []
    block = max(1, n // 6)
    for i in range(6):
        if i % 2:
            requests.put(
                url, data=json.dumps(ARMED_NEVER_FIRING), headers=headers, timeout=10
            ).raise_for_status()
        else:
            requests.delete(url, headers=headers, timeout=10).raise_for_status()
        result = measure_engine(api, sfn, workflow_arn, products, block, 0)
        samples = result["engine_samples_ms"]
        (armed if i % 2 else no_rules).extend(samples)
    requests.delete(url, headers=headers, timeout=10).raise_for_status()

    def bare(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b""]

    environ = {
        "PATH_INFO": "/",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=a/b/us-east-1/dynamodb/aws4_request",
    }
    wrapped = middleware(bare, FaultEngine())
    calls = 200_000
    t0 = time.perf_counter()
    for _ in range(calls):
        bare(environ, None)
    t1 = time.perf_counter()
    for _ in range(calls):
        wrapped(environ, None)
    t2 = time.perf_counter()
    return {
        "engine_ms_no_rules": summary(no_rules),
        "engine_ms_armed_never_firing": summary(armed),
        "middleware_no_rules_ns_per_request": round(((t2 - t1) - (t1 - t0)) / calls * 1e9, 1),
    }


def measure_direct(
    c: dict[str, Any], resources: dict[str, str], products: list[str], n: int, warmup: int
) -> dict:
    ddb, sqs = c["dynamodb"], c["sqs"]
    products_table, orders_table = resources["ProductsTable"], resources["OrdersTable"]
    queue_url = resources["OrderNotificationsQueue"]
    totals, parts = [], {"BatchGetItem": [], "TransactWriteItems": [], "SendMessage": []}
    for i in range(warmup + n):
        body = order_body(products, 10_000 + i)
        keys = [{"productId": {"S": item["productId"]}} for item in body["items"]]
        t0 = time.perf_counter()
        got = ddb.batch_get_item(RequestItems={products_table: {"Keys": keys, "ConsistentRead": True}})
        assert len(got["Responses"][products_table]) == 3
        t1 = time.perf_counter()
        # The same requests the handlers send (order_service.dal): conditions, ALL_OLD on failure,
        # the full order item (priced lines, createdAt, expiresAt), message attributes.
        lines = [
            {
                "productId": item["productId"],
                "name": f"bench product {item['productId']}",
                "quantity": item["quantity"],
                "unitPrice": "3.25",
                "lineTotal": str(Decimal("3.25") * item["quantity"]),
            }
            for item in body["items"]
        ]
        total = str(sum(Decimal(line["lineTotal"]) for line in lines))
        now = datetime.now(UTC)
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": products_table,
                    "Key": {"productId": {"S": item["productId"]}},
                    "UpdateExpression": "SET stock = stock - :q",
                    "ConditionExpression": "attribute_exists(productId) AND stock >= :q",
                    "ExpressionAttributeValues": {":q": {"N": str(item["quantity"])}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for item in body["items"]
        ]
        order_item = {
            "orderId": {"S": body["orderId"]},
            "customerId": {"S": body["customerId"]},
            "items": {
                "L": [
                    {
                        "M": {
                            "productId": {"S": line["productId"]},
                            "name": {"S": line["name"]},
                            "quantity": {"N": str(line["quantity"])},
                            "unitPrice": {"N": line["unitPrice"]},
                            "lineTotal": {"N": line["lineTotal"]},
                        }
                    }
                    for line in lines
                ]
            },
            "totalAmount": {"N": total},
            "status": {"S": "CONFIRMED"},
            "createdAt": {"S": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")},
            "expiresAt": {"N": str(int(now.timestamp()) + 90 * 86400)},
        }
        actions.append(
            {
                "Put": {
                    "TableName": orders_table,
                    "Item": order_item,
                    "ConditionExpression": "attribute_not_exists(orderId)",
                }
            }
        )
        ddb.transact_write_items(TransactItems=actions, ClientRequestToken=str(uuid.uuid4()))
        t2 = time.perf_counter()
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(
                {"orderId": body["orderId"], "customerId": body["customerId"], "totalAmount": total}
            ),
            MessageAttributes={
                "eventType": {"DataType": "String", "StringValue": "OrderConfirmed"},
                "orderId": {"DataType": "String", "StringValue": body["orderId"]},
            },
        )
        t3 = time.perf_counter()
        if i < warmup:
            continue
        totals.append((t3 - t0) * 1000)
        parts["BatchGetItem"].append((t1 - t0) * 1000)
        parts["TransactWriteItems"].append((t2 - t1) * 1000)
        parts["SendMessage"].append((t3 - t2) * 1000)
    return {"direct_ms": summary(totals), "calls_ms": {k: summary(v) for k, v in parts.items()}}


def measure_throughput(
    api_url: str,
    sfn: Any,
    workflow_arn: str,
    products: list[str],
    total: int,
    concurrency: int,
    root_pid: int | None = None,
) -> dict:
    submitted: list[tuple[str, float]] = []
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client_loop(worker: int) -> None:
        api = ApiClient(api_url)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = order_body(products, 20_000 + n)
            t0 = time.perf_counter()
            status, accepted = api.post("/orders", body)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                if status == 202:
                    submitted.append((accepted["executionArn"], elapsed))
                    latencies.append(elapsed)
                else:
                    failures.append(f"{status}: {accepted}")
        api.close()

    cpu_before = cpu_seconds(root_pid) if root_pid else None
    started_wall = datetime.now(UTC)
    t0 = time.perf_counter()
    run_clients(client_loop, concurrency)
    submit_s = time.perf_counter() - t0
    # Wait with one cheap ListExecutions(RUNNING) call per 0.25 s, not a poll per execution:
    # the waiting must not load the process it measures.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        running = sfn.list_executions(stateMachineArn=workflow_arn, statusFilter="RUNNING", maxResults=1)
        if not running["executions"]:
            break
        time.sleep(0.25)
    stop_dates, statuses, failed_causes = [], {}, {}
    for arn, _ in submitted:
        described = wait_stopped(sfn, arn, timeout=60, poll=0.02)
        stop_dates.append(described["stopDate"])
        output = json.loads(described.get("output") or "{}")
        key = output.get("status", described["status"])
        statuses[key] = statuses.get(key, 0) + 1
        if described["status"] != "SUCCEEDED":
            cause = f"{described.get('error')}: {str(described.get('cause'))[:160]}"
            failed_causes[cause] = failed_causes.get(cause, 0) + 1
    done_s = (max(stop_dates) - started_wall).total_seconds() if stop_dates else float("nan")
    cpu_per_order = {}
    if cpu_before is not None and root_pid and submitted:
        cpu_after = cpu_seconds(root_pid)
        # includes the polling DescribeExecution calls made after submission (a few per order)
        cpu_per_order = {
            k: round((cpu_after[k] - cpu_before[k]) * 1000 / len(submitted), 1) for k in cpu_after
        }
    observed_s = time.perf_counter() - t0
    return {
        "orders": total,
        "clients": concurrency,
        "accepted": len(submitted),
        "failures": failures[:5],
        "submit_s": round(submit_s, 2),
        "submitted_per_s": round(len(submitted) / submit_s, 1),
        "completed_s": round(done_s, 2),
        "orders_per_s": round(len(submitted) / done_s, 1) if stop_dates else 0.0,
        "observed_s": round(observed_s, 2),
        "post_202_ms": summary(latencies),
        "outcomes": statuses,
        "failed_causes": dict(sorted(failed_causes.items(), key=lambda kv: -kv[1])[:10]),
        "cpu_ms_per_order": cpu_per_order,
    }


def measure_request_cpu(c: dict[str, Any], resources: dict[str, str] | None, root_pid: int, n: int) -> dict:
    """CPU ms of the ``up`` process per request: ``n`` sequential calls of each kind by one boto3
    client (kept-alive connections), the process's utime+stime before and after (/proc, 10 ms ticks:
    hence hundreds of calls). Wall ms per call next to it."""
    ddb, sqs = c["dynamodb"], c["sqs"]
    table = f"bench-cpu-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    queue_url = sqs.create_queue(QueueName=f"bench-cpu-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    calls = {
        "DynamoDB GetItem": lambda: ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}),
        "SQS SendMessage": lambda: sqs.send_message(QueueUrl=queue_url, MessageBody='{"bench": 1}'),
    }
    # The process also spends CPU when idle (event source pollers, keep-alive threads): measured
    # first and subtracted from each phase by its duration.
    before, t0 = cpu_seconds(root_pid)["parent"], time.perf_counter()
    time.sleep(3.0)
    idle_per_s = (cpu_seconds(root_pid)["parent"] - before) / (time.perf_counter() - t0)
    out: dict[str, Any] = {"calls_each": n, "idle_cpu_ms_per_s": round(idle_per_s * 1000, 2)}
    for name, call in calls.items():
        for _ in range(20):  # warm-up: connections, moto's lazy imports
            call()
        before = cpu_seconds(root_pid)["parent"]
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        wall = time.perf_counter() - t0
        used = cpu_seconds(root_pid)["parent"] - before - idle_per_s * wall
        out[name] = {"server_cpu_ms": round(used * 1000 / n, 3), "wall_ms": round(wall * 1000 / n, 3)}
    ddb.delete_table(TableName=table)
    sqs.delete_queue(QueueUrl=queue_url)
    return out


MOCK_CONFIG = ROOT / "tests" / "statemachine" / "MockConfigFile.json"
MOCKED_STACK = "orderflow"  # the mock config names the state machine orderflow-OrderWorkflow
MOCKED_CASE = "HappyPath"


def measure_mocked_executions(
    endpoint: str, workflow_arn: str, root_pid: int, seconds: float, concurrency: int, poll: float
) -> dict:
    """Executions/s of the order workflow with every Task mocked (Step Functions Local's mock
    config, ``--time-scale 0``): ``concurrency`` clients, each starting an execution of
    ``<arn>#HappyPath`` and polling DescribeExecution every ``poll`` s until it stopped, then the
    next, for ``seconds``. No Lambda runs: this is the engine plus the HTTP stack of ``up``."""
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    engine_ms: list[float] = []
    statuses: dict[str, int] = {}
    requests = [0]

    def client_loop(worker: int) -> None:
        sfn = clients(endpoint)["stepfunctions"]
        n = 0
        while time.monotonic() < stop_at:
            arn = sfn.start_execution(
                stateMachineArn=f"{workflow_arn}#{MOCKED_CASE}",
                name=f"m{worker}-{n}-{uuid.uuid4().hex[:8]}",
                input=json.dumps(order_body([f"p{k}" for k in range(9)], n)),
            )["executionArn"]
            n += 1
            polls = 0
            while True:
                described = sfn.describe_execution(executionArn=arn)
                polls += 1
                if described["status"] != "RUNNING":
                    break
                time.sleep(poll)
            with lock:
                requests[0] += 1 + polls
                statuses[described["status"]] = statuses.get(described["status"], 0) + 1
                engine_ms.append((described["stopDate"] - described["startDate"]).total_seconds() * 1000)

    warm_up = clients(endpoint)["stepfunctions"]
    for _ in range(concurrency):
        warm_up.start_execution(stateMachineArn=f"{workflow_arn}#{MOCKED_CASE}", input="{}")
    time.sleep(0.5)
    cpu_before = cpu_seconds(root_pid)["parent"]
    t0 = time.perf_counter()
    run_clients(client_loop, concurrency)
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(root_pid)["parent"] - cpu_before
    done = len(engine_ms)
    return {
        "clients": concurrency,
        "seconds": round(elapsed, 2),
        "executions": done,
        "executions_per_s": round(done / elapsed, 1),
        "statuses": statuses,
        "engine_ms": summary(engine_ms),
        "requests_per_execution": round(requests[0] / done, 2) if done else None,
        "cpu_ms_per_execution": round(cpu * 1000 / done, 2) if done else None,
    }


def run_mocked(args: argparse.Namespace) -> dict[str, Any]:
    """Its own ``orderflow up --mock-config ... --time-scale 0`` (stack ``orderflow``), then the
    per-request CPU and the mocked executions/s phases against it."""
    up = Up(MOCKED_STACK, ["--mock-config", str(MOCK_CONFIG), "--time-scale", "0"])
    print(f"starting orderflow up --mock-config (aws :{up.aws_port}) ...", flush=True)
    up.start()
    try:
        assert up.proc is not None
        c = clients(up.endpoint)
        outputs, resources = stack_outputs(c["cloudformation"], up.stack_name)
        print(f"per-request CPU ({args.cpu_calls} calls each) ...", flush=True)
        request_cpu = measure_request_cpu(c, resources, up.proc.pid, args.cpu_calls)
        print(f"mocked executions/s ({args.clients} clients, {args.mocked_seconds} s) ...", flush=True)
        profile_file = args.output.parent / "profile-mocked.tmp"
        profiler = start_profiler(up.proc.pid, profile_file) if args.profile else None
        try:
            mocked = measure_mocked_executions(
                up.endpoint, outputs["OrderWorkflowArn"], up.proc.pid, args.mocked_seconds, args.clients, 0.01
            )
        finally:
            stop_profiler(profiler)
        if profiler is not None:
            mocked["profile"] = categorize(profile_file, up.proc.pid)
    finally:
        up.stop()
    return {"request_cpu": request_cpu, "mocked_executions": mocked}


# ---------------------------------------------------------------------------- profile (py-spy)
CATEGORIES = [  # (name, every needle must be in the stack); first match wins, so specific first
    ("function log echo threads (runtime)", ("_echo_lines",)),
    ("DynamoDB transaction item journal/copies (moto)", ("transact_write_items", "deepcopy")),
    ("JSONPath parsing (jsonpath_ng, per evaluation)", ("jsonpath_ng",)),
    ("moto request routing (DomainDispatcher.get_application)", ("get_application",)),
    ("moto response serialization (botocore shapes)", ("moto/core/serialize",)),
    ("moto request parsing (botocore shapes)", ("moto/core/parse",)),
    ("DynamoDB expressions: parse, validate, evaluate (moto)", ("moto/dynamodb/parsing",)),
    ("DynamoDB expressions: parse, validate, evaluate (moto)", ("moto/dynamodb/comparisons",)),
    ("DynamoDB other (moto)", ("moto/dynamodb",)),
    ("SQS (moto)", ("moto/sqs",)),
    ("Lambda invoke IPC (runtime worker pool)", ("orderflow/runtime/lambdas.py",)),
    ("Step Functions interpreter (moto parser)", ("stepfunctions/parser",)),
    ("Step Functions API (moto)", ("moto/stepfunctions",)),
    ("other moto request handling (dispatch, request ids, headers)", ("moto/",)),
    ("HTTP request head parsing (http.server, email.parser)", ("parse_headers",)),
    ("Flask request context/dispatch (moto's per-service apps)", ("flask/",)),
    ("HTTP serving (orderflow.wsgi_server)", ("orderflow/wsgi_server.py",)),
    ("embedded AWS app (orderflow.runtime.embedded_aws)", ("orderflow/runtime/embedded_aws.py",)),
    ("local API server (orderflow.api)", ("orderflow/api",)),
    ("thread start", ("Thread.start",)),
]


def categorize(profile: Path, root_pid: int) -> dict[str, Any]:
    """Share of the parent process's sampled CPU per category, from py-spy's raw output."""
    totals: dict[str, int] = {}
    parent = workers = 0
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if len(frames) > 1 and frames[1].startswith("process "):
            workers += n
            continue
        parent += n
        name = "other"
        for category, needles in CATEGORIES:
            if all(needle in stack for needle in needles):
                name = category
                break
        totals[name] = totals.get(name, 0) + n
    shares = (
        {k: round(v / parent, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])} if parent else {}
    )
    return {"parent_samples": parent, "worker_samples": workers, "parent_cpu_share": shares}


def start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes] | None:
    spy = ROOT / ".venv" / "bin" / "py-spy"
    if not spy.exists():
        print("  (py-spy not installed: pip install -e '.[bench]'; no profile)", flush=True)
        return None
    # --gil: only samples of threads holding the GIL, i.e. CPU (idle keep-alive reads are not)
    cmd = [str(spy), "record", "-p", str(pid), "--subprocesses", "--gil", "-r", "200", "-f", "raw"]
    cmd += ["-o", str(output)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    return proc


def stop_profiler(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


# ---------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=60, help="sequential orders for the engine time")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--load-orders", type=int, default=400, help="orders for the throughput phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the engine phase (CPU samples of `up` and its workers) -> results/profile-engine.tmp",
    )
    parser.add_argument("--cpu-calls", type=int, default=400, help="calls per kind for the per-request CPU")
    parser.add_argument("--mocked-seconds", type=float, default=15.0, help="duration of the mocked phase")
    parser.add_argument(
        "--iam-only",
        action="store_true",
        help="only IAM enforcement's cost: engine time with enforcement on and off (two `up`, interleaved "
        "blocks) and the evaluator's own time per request -> results/iam.json",
    )
    parser.add_argument(
        "--mocked-only",
        action="store_true",
        help="only the per-request CPU and mocked executions/s phases (own `up --mock-config`)",
    )
    args = parser.parse_args()

    if args.mocked_only:
        return report_mocked(args, run_mocked(args))
    if args.iam_only:
        return report_iam(args)

    up = Up()
    print(f"starting orderflow up (aws :{up.aws_port}, api :{up.api_port}) ...", flush=True)
    ready_s, ready_line = up.start()
    try:
        assert up.proc is not None
        c = clients(up.endpoint)
        outputs, resources = stack_outputs(c["cloudformation"], up.stack_name)
        api_url = f"http://127.0.0.1:{up.api_port}/{outputs['ApiUrl'].rstrip('/').rsplit('/', 1)[-1]}/"
        workflow_arn = outputs["OrderWorkflowArn"]
        products = seed_products(c["dynamodb"], resources["ProductsTable"], 60, 1_000_000)
        memory_idle = memory(up.proc.pid)

        print("engine time (sequential orders) ...", flush=True)
        api = ApiClient(api_url)
        measure_engine(api, c["stepfunctions"], workflow_arn, products, 0, args.warmup)  # cold starts
        profile_file = args.output.parent / "profile-engine.tmp"
        profiler = start_profiler(up.proc.pid, profile_file) if args.profile else None
        try:
            engine = measure_engine(api, c["stepfunctions"], workflow_arn, products, args.orders, 0)
        finally:
            stop_profiler(profiler)
        profile = categorize(profile_file, up.proc.pid) if profiler is not None else None
        print("fault injection overhead (no rules / rules that never fire, interleaved) ...", flush=True)
        token = (ROOT / ".orderflow" / up.stack_name / "admin-token").read_text().strip()
        faults = measure_fault_overhead(
            api, c["stepfunctions"], workflow_arn, products, args.orders, up.endpoint, token
        )
        print("direct calls ...", flush=True)
        direct = measure_direct(c, resources, products, args.orders, args.warmup)
        print(f"throughput ({args.load_orders} orders, {args.clients} clients) ...", flush=True)
        load = measure_throughput(
            api_url,
            c["stepfunctions"],
            workflow_arn,
            products,
            args.load_orders,
            args.clients,
            root_pid=up.proc.pid,
        )
        memory_loaded = memory(up.proc.pid)
    finally:
        up.stop()
    mocked = run_mocked(args)

    ratio = engine["engine_ms"]["p50"] / direct["direct_ms"]["p50"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "ready": {"spawn_to_ready_s": round(ready_s, 2), "line": ready_line},
        "engine": {k: v for k, v in engine.items() if k != "engine_samples_ms"},
        "fault_injection_overhead": faults,
        "direct": direct,
        "engine_p50_vs_direct_p50": round(ratio, 2),
        "throughput": load,
        "engine_profile": profile,
        "memory_idle": {k: v for k, v in memory_idle.items() if k != "per_process"},
        "memory_after_load": memory_loaded,
        **mocked,
        "targets": TARGETS,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        ("ready (spawn -> ready line)", f"{ready_s:.2f} s", "<= 10 s", verdict(ready_s <= 10)),
        (
            "engine p50 / p95 (3 items)",
            f"{engine['engine_ms']['p50']:.1f} / {engine['engine_ms']['p95']:.1f} ms",
            "p50 <= 50 ms",
            verdict(engine["engine_ms"]["p50"] <= 50),
        ),
        (
            "direct calls p50 / p95",
            f"{direct['direct_ms']['p50']:.1f} / {direct['direct_ms']['p95']:.1f} ms",
            "",
            "",
        ),
        ("engine / direct (p50)", f"{ratio:.2f}x", "<= 1.5x", verdict(ratio <= 1.5)),
        (
            "engine p50: no fault rules / rules never firing",
            f"{faults['engine_ms_no_rules']['p50']:.1f} / "
            f"{faults['engine_ms_armed_never_firing']['p50']:.1f} ms",
            "",
            "",
        ),
        (
            "fault middleware, no rules",
            f"{faults['middleware_no_rules_ns_per_request']:.0f} ns/request",
            "~0",
            "",
        ),
        (
            "submit -> stopped p50 (HTTP)",
            f"{engine['submit_to_stopped_ms']['p50']:.1f} ms",
            "",
            "",
        ),
        (
            f"orders/s ({args.clients} clients)",
            f"{load['orders_per_s']:.1f}",
            ">= 50",
            verdict(load["orders_per_s"] >= 50),
        ),
        ("POST /orders p50 under load", f"{load['post_202_ms']['p50']:.1f} ms", "", ""),
        (
            "CPU per order: parent / workers",
            "{parent:.0f} / {workers:.0f} ms".format(
                **{"parent": 0, "workers": 0, **load["cpu_ms_per_order"]}
            ),
            "",
            "",
        ),
        ("failed executions under load", str(sum(load["failed_causes"].values())), "0", ""),
        (
            "memory RSS / PSS (all procs)",
            f"{memory_loaded['rss_mb']:.0f} / {memory_loaded['pss_mb']:.0f} MB"
            f" ({memory_loaded['processes']} procs)",
            "",
            "",
        ),
    ]
    rows.extend(mocked_rows(mocked))
    if profile:
        for category, share in profile["parent_cpu_share"].items():
            rows.append((f"  profile: {category}"[:72], f"{share:.1%} of parent CPU", "", ""))
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<28} {target:<14} {ok}")
    print(
        f"\nwritten to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
    )
    return 0


def mocked_rows(mocked: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    m = mocked["mocked_executions"]
    rows = [
        (
            f"mocked executions/s ({m['clients']} clients)",
            f"{m['executions_per_s']:.1f}",
            "",
            "",
        ),
        (
            "mocked: engine p50 / CPU per execution",
            f"{m['engine_ms']['p50']:.1f} / {m['cpu_ms_per_execution']} ms",
            "",
            "",
        ),
    ]
    for name, figures in mocked["request_cpu"].items():
        if isinstance(figures, dict):
            rows.append(
                (
                    f"{name}: server CPU / wall",
                    f"{figures['server_cpu_ms']:.2f} / {figures['wall_ms']:.2f} ms",
                    "",
                    "",
                )
            )
    return rows


def report_mocked(args: argparse.Namespace, mocked: dict[str, Any]) -> int:
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **mocked,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    rows = mocked_rows(mocked)
    width = max(len(r[0]) for r in rows)
    for name, value, _, _ in rows:
        print(f"{name:<{width}}  {value}")
    print(f"written to {args.output}")
    return 0


# ------------------------------------------------------------------------------ IAM enforcement


def evaluator_cost(repeat: int = 20000) -> dict[str, float]:
    """The evaluator's own time, in process: one decision from the cache (every request after the
    first of its kind) and one evaluated from the policies (the first, or after an IAM write)."""
    from orderflow.runtime.iam_policy import Check, evaluate, parse_policies

    table = "arn:aws:dynamodb:us-east-1:123456789012:table/orderflow-OrdersTable-X"
    products = table.replace("Orders", "Products")
    inline = [
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": products},
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": table},
    ]
    basic = [{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:PutLogEvents"], "Resource": "*"}]
    statements = parse_policies([("inline", {"Statement": inline}), ("basic", {"Statement": basic})])
    check = Check("dynamodb:PutItem", table)
    cache = {
        ("role", check.action, check.resource, check.context): evaluate(
            statements, check.action, check.resource
        )
    }
    t0 = time.perf_counter()
    for _ in range(repeat):
        cache[("role", check.action, check.resource, check.context)]
    cached_ns = (time.perf_counter() - t0) / repeat * 1e9
    t0 = time.perf_counter()
    for _ in range(repeat // 10):
        evaluate(statements, check.action, check.resource)
    evaluated_ns = (time.perf_counter() - t0) / (repeat // 10) * 1e9
    return {
        "cached_decision_ns": cached_ns,
        "evaluated_decision_ns": evaluated_ns,
        **authorize_path_cost(),
    }


def authorize_path_cost(repeat: int = 5000) -> dict[str, float]:
    """The whole check a role session's request pays in the embedded AWS (the patched authorizer:
    key lookup, the request's checks, cached decisions), for WriteOrder's two-item transaction, and
    what an administrator key's request pays (in-process moto, a stand-in for moto's response)."""
    from moto import mock_aws

    from orderflow.runtime.moto import REGISTRY
    from orderflow.runtime.moto import iam as iam_patch

    class Request:
        def __init__(self, key: str) -> None:
            scope = f"{key}/20260101/us-east-1/dynamodb/aws4_request"
            self.headers = {
                "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=x"
            }
            self.body = {
                "TransactItems": [
                    {"Update": {"TableName": "Products", "Key": {}}},
                    {"Put": {"TableName": "Orders", "Item": {}}},
                ]
            }
            self.region, self.current_account = "us-east-1", "123456789012"
            self.response_headers: dict[str, str] = {}
            self.querystring: dict[str, Any] = {}

        def _get_action(self) -> str:
            return "TransactWriteItems"

    with mock_aws(), REGISTRY.enabled("iam_role_sessions"):
        iam = boto3.client("iam", region_name=REGION)
        arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        table = "arn:aws:dynamodb:us-east-1:123456789012:table/"
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table + "Products"},
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:PutItem", "dynamodb:GetItem"],
                    "Resource": table + "Orders",
                },
            ],
        }
        iam.put_role_policy(RoleName="bench", PolicyName="p", PolicyDocument=json.dumps(document))
        key = boto3.client("sts", region_name=REGION).assume_role(RoleArn=arn, RoleSessionName="bench")
        session, admin = Request(key["Credentials"]["AccessKeyId"]), Request("AKIDADMINISTRATOR0")
        timings = {}
        for name, request in (("role_session_request_ns", session), ("admin_request_ns", admin)):
            iam_patch._authorize_request(request)  # first: evaluated and cached
            t0 = time.perf_counter()
            for _ in range(repeat):
                iam_patch._authorize_request(request)
            timings[name] = (time.perf_counter() - t0) / repeat * 1e9
    return timings


def report_iam(args: argparse.Namespace) -> int:
    """Engine time with IAM enforced and with --no-iam: two `orderflow up` side by side (own ports and
    stacks), orders in interleaved blocks of 10 so machine load hits both alike."""
    ups = {"enforced": Up("bench-iam"), "off": Up("bench-noiam", ["--no-iam"])}
    ready: dict[str, float] = {}
    try:
        ctx = {}
        for mode, up in ups.items():
            print(f"starting orderflow up ({mode}) ...", flush=True)
            ready[mode], _ = up.start()
            c = clients(up.endpoint)
            outputs, resources = stack_outputs(c["cloudformation"], up.stack_name)
            api_url = f"http://127.0.0.1:{up.api_port}/{outputs['ApiUrl'].rstrip('/').rsplit('/', 1)[-1]}/"
            products = seed_products(c["dynamodb"], resources["ProductsTable"], 60, 1_000_000)
            api = ApiClient(api_url)
            measure_engine(api, c["stepfunctions"], outputs["OrderWorkflowArn"], products, 0, args.warmup)
            ctx[mode] = (api, c["stepfunctions"], outputs["OrderWorkflowArn"], products)
        samples: dict[str, list[float]] = {mode: [] for mode in ups}
        for _ in range(max(1, args.orders // 10)):
            for mode in ups:
                api, sfn, arn, products = ctx[mode]
                samples[mode] += measure_engine(api, sfn, arn, products, 10, 0)["engine_samples_ms"]
    finally:
        for up in ups.values():
            up.stop()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "engine_ms_iam_enforced": summary(samples["enforced"]),
        "engine_ms_iam_off": summary(samples["off"]),
        "ready_s": ready,
        "evaluator": evaluator_cost(),
    }
    output = args.output if args.output != RESULTS / "latest.json" else RESULTS / "iam.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    on, off = result["engine_ms_iam_enforced"], result["engine_ms_iam_off"]
    print(
        f"engine p50 IAM enforced / off: {on['p50']:.1f} / {off['p50']:.1f} ms "
        f"({len(samples['off'])} orders each)"
    )
    print(f"engine p95 IAM enforced / off: {on['p95']:.1f} / {off['p95']:.1f} ms")
    ev = result["evaluator"]
    print(
        f"evaluator: {ev['cached_decision_ns']:.0f} ns cached, {ev['evaluated_decision_ns']:.0f} ns evaluated"
    )
    print(
        f"per request: role session {ev['role_session_request_ns'] / 1000:.1f} us, "
        f"administrator key {ev['admin_request_ns'] / 1000:.1f} us"
    )
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
