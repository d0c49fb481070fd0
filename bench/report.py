"""Every figure of issue 21 in one run, each beside its target (a benchmark, not a test).

    .venv/bin/python bench/report.py [--suite] [--quick]      # or: make bench  (SUITE=1 for --suite)

- suite time (only with ``--suite``: it takes minutes): ``pytest -q -p no:randomly``, wall time
  and pytest's own figure; target <= 90 s;
- boot phases: bench/boot_phases.py (`orderflow up` on a warm checkout, spawn -> ready line, and
  where the time goes); target <= 3 s;
- client commands: bench/client_commands.py when there is one, else `orderflow --help`
  (median of 5 fresh processes); target <= 0.5 s;
- the confirm path: bench/run.py with fewer orders (engine time vs the same requests made directly,
  orders/s and CPU per order of the `up` process under 8 API clients) and
  bench/moto_speedups_orders.py with both speed-up patches (CPU per order and orders/s of an
  in-process session); targets <= 28 ms CPU per order, >= 35 orders/s, engine/direct <= 1.5x;
- the peer ratio: bench/peer_sfn.py (mocked executions, ours against aws-local-stepfunctions 3.0.0
  on the same definition); target <= 10x.

Each part runs in a process of its own, one after the other; a part that fails is reported as such
and the others still run. Writes bench/results/report.json. The figures depend on what else the
machine does: compare runs made on the same machine, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
Row = tuple[str, str, str, str]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run_json(args: list[str], timeout: float) -> dict[str, Any]:
    """Run a bench script with ``--output <tmp>``; its JSON (or the failure, in one line)."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "out.json"
        done = subprocess.run(
            [PYTHON, *args, "--output", str(output)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0 or not output.is_file():
            tail = " ".join((done.stderr or done.stdout).split())[-300:]
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {tail}")
        return json.loads(output.read_text())


def suite() -> tuple[dict[str, Any], list[Row]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:randomly"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # every process pytest waited for (its own, the runtimes and workers it started); a process
    # killed and never waited for is not counted, so this is a lower bound
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    cores = os.cpu_count() or 1
    last = (done.stdout.strip().splitlines() or [""])[-1]
    found = re.search(r" in ([\d.]+)s", last)
    pytest_s = float(found.group(1)) if found else float("nan")
    result = {
        "wall_s": round(wall, 1),
        "pytest_s": pytest_s,
        "cpu_s": round(cpu, 1),
        "cores": cores,
        "summary": last,
        "exit": done.returncode,
    }
    return result, [
        ("suite: pytest's own time", f"{pytest_s:.0f} s", "<= 90 s", verdict(pytest_s <= 90)),
        ("suite: CPU of every process it ran", f"{cpu:.0f} s", "", ""),
        (
            f"  its floor on {cores} cores (CPU / cores)",
            f"{cpu / cores:.0f} s",
            "<= 90 s",
            verdict(cpu / cores <= 90),
        ),
        ("suite: result", last.strip("= ")[:60], "all pass", verdict(done.returncode == 0)),
    ]


def boot(quick: bool) -> tuple[dict[str, Any], list[Row]]:
    sys.path.insert(0, str(BENCH))
    import boot_phases

    result = run_json(["bench/boot_phases.py", "--runs", "1" if quick else "3"], timeout=900)
    rows = [(name, value, target, "") for name, value, target in boot_phases.rows(result)]
    ready = result["median"]["ready_ms"] / 1000
    rows[0] = (*rows[0][:3], verdict(ready <= boot_phases.TARGET_S))
    return result, rows


def client_commands() -> tuple[dict[str, Any], list[Row]]:
    script = BENCH / "client_commands.py"
    if script.is_file():  # the client commands' own benchmark: shown as it prints itself
        done = subprocess.run([PYTHON, str(script)], cwd=ROOT, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        return {"output": lines, "exit": done.returncode}, [(line, "", "", "") for line in lines]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "orderflow"), "--help"], capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    return {"help_s": runs, "median_s": median}, [
        ("client: orderflow --help (median of 5)", f"{median:.2f} s", "<= 0.5 s", verdict(median <= 0.5))
    ]


def confirm_path(quick: bool) -> tuple[dict[str, Any], list[Row]]:
    orders = ["--orders", "15" if quick else "40", "--warmup", "3"]
    load = ["--load-orders", "80" if quick else "200", "--mocked-seconds", "3" if quick else "8"]
    engine = run_json(["bench/run.py", *orders, *load, "--cpu-calls", "50"], timeout=1500)
    inproc = run_json(
        ["bench/moto_speedups_orders.py", "--variants", "both", "--rounds", "1" if quick else "3"],
        timeout=1500,
    )
    ratio = engine["engine_p50_vs_direct_p50"]
    up_load = engine["throughput"]
    cpu_up = float(up_load["cpu_ms_per_order"].get("parent", float("nan")))
    both = inproc["medians"]["both"]
    return {"run": engine, "moto_speedups_orders": inproc}, [
        ("engine / direct (p50)", f"{ratio:.2f}x", "<= 1.5x", verdict(ratio <= 1.5)),
        (
            "orders/s, `up` process, 8 clients",
            f"{up_load['orders_per_s']:.1f}",
            ">= 35",
            verdict(up_load["orders_per_s"] >= 35),
        ),
        ("CPU per order, `up` process", f"{cpu_up:.1f} ms", "<= 28 ms", verdict(cpu_up <= 28)),
        (
            "orders/s, in-process session, 8 clients",
            f"{both['orders_per_s']:.1f}",
            ">= 35",
            verdict(both["orders_per_s"] >= 35),
        ),
        (
            "CPU per order, in-process (incl. clients)",
            f"{both['cpu_ms_per_order']:.1f} ms",
            "<= 28 ms",
            verdict(both["cpu_ms_per_order"] <= 28),
        ),
    ]


def peer(quick: bool) -> tuple[dict[str, Any], list[Row]]:
    sys.path.insert(0, str(BENCH))
    import peer_sfn

    result = run_json(["bench/peer_sfn.py", "--runs", "50" if quick else "200"], timeout=900)
    rows = [(name, value, target, "") for name, value, target in peer_sfn.rows(result)]
    if "ratio" in result:
        rows[-1] = (*rows[-1][:3], verdict(result["ratio"] <= peer_sfn.TARGET_RATIO))
    return result, rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite (minutes)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and orders: a rough figure, sooner")
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "report.json")
    args = parser.parse_args()
    parts: list[tuple[str, Callable[[], tuple[dict[str, Any], list[Row]]]]] = []
    if args.suite:
        parts.append(("suite", suite))
    parts += [
        ("boot", lambda: boot(args.quick)),
        ("client_commands", client_commands),
        ("confirm_path", lambda: confirm_path(args.quick)),
        ("peer", lambda: peer(args.quick)),
    ]
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick}
    report["load_average_at_start"] = os.getloadavg()  # what else the machine was doing
    rows: list[Row] = []
    if not args.suite:
        rows.append(("suite time", "not run (--suite)", "<= 90 s", ""))
    for name, measure in parts:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            report[name], part_rows = measure()
        except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as exc:
            report[name] = {"error": str(exc)}
            part_rows = [(name, "failed: " + str(exc)[:70], "", "")]
        report.setdefault("seconds", {})[name] = round(time.perf_counter() - started, 1)
        rows += part_rows
    report["load_average_at_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<14} {target:<10} {ok}")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
