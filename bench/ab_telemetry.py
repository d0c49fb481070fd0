"""A/B of the engine time with CloudWatch-locally (function logs to log groups, metrics, alarms) on
vs the runtime before it: interleaved runs of bench/run.py's engine phase against two checkouts.

    .venv/bin/python bench/ab_telemetry.py BASE_CHECKOUT [--pairs 3] [--orders 60]

BASE_CHECKOUT is a worktree of the commit before (its .venv may be a symlink to this one's: its
`orderflow up` is run with PYTHONPATH=<base>/src so the base's code is what runs). Results:
bench/results/cloudwatch-ab.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def load_bench(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_run_{root.name}", root / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_run(root: Path, orders: int) -> dict[str, Any]:
    bench = load_bench(root)
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(root / "src")
    up = bench.Up(stack_name="abcw")
    try:
        ready_s, _ = up.start()
        c = bench.clients(up.endpoint)
        outputs, resources = bench.stack_outputs(c["cloudformation"], up.stack_name)
        api_url = f"http://127.0.0.1:{up.api_port}/{outputs['ApiUrl'].rstrip('/').rsplit('/', 1)[-1]}/"
        products = bench.seed_products(c["dynamodb"], resources["ProductsTable"], 60, 1_000_000)
        api = bench.ApiClient(api_url)
        workflow = outputs["OrderWorkflowArn"]
        bench.measure_engine(api, c["stepfunctions"], workflow, products, 0, 5)  # cold starts
        engine = bench.measure_engine(api, c["stepfunctions"], workflow, products, orders, 0)
        return {"ready_s": round(ready_s, 2), **engine["engine_ms"]}
    finally:
        up.stop()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--output", type=Path, default=HERE / "bench" / "results" / "cloudwatch-ab.json")
    args = parser.parse_args()
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for pair in range(args.pairs):
        order = [("before", args.base.resolve()), ("after", HERE)]
        if pair % 2:
            order.reverse()
        for label, root in order:
            result = engine_run(root, args.orders)
            runs[label].append(result)
            print(label, json.dumps(result), flush=True)
    report = {
        "what": "engine p50 (startDate->stopDate of DescribeExecution, one order with 3 lines, sequential) "
        "with CloudWatch-locally (logs to log groups, metrics, alarm evaluation) vs the commit before; "
        "interleaved runs, machine shared with other jobs",
        "orders_per_run": args.orders,
        "runs": runs,
        "median_of_p50_ms": {k: round(statistics.median(r["p50"] for r in v), 1) for k, v in runs.items()},
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["median_of_p50_ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
