"""Wall time of the ``orderflow`` client commands against a running runtime, beside the 0.5 s target.

    .venv/bin/python bench/client_commands.py                 # boots its own `orderflow up` (in memory)
    .venv/bin/python bench/client_commands.py --endpoint http://127.0.0.1:4566 --stack-name orderflow
    .venv/bin/python bench/client_commands.py --src /tmp/old/src   # A/B: time another checkout's code

Each command runs ``--runs`` times (default 5) as a new process (``python -m orderflow.cli``, as the
console script runs it); the median wall time is shown, and the median CPU time (user + system) of
the command's process: on a machine shared with other work the wall time is mostly waiting for a
core, the CPU time is what the command itself costs. The answers are near-empty (an unknown order's history,
an empty outbox, no fault rules, ...): what is measured is what a command costs besides its answer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from orderflow.ports import free_port  # noqa: E402

TARGET_S = 0.5


def commands(endpoint: str, stack: str) -> dict[str, list[str]]:
    remote = ["--endpoint", endpoint]
    products = str(ROOT / "src/orderflow/demo_data/products.json")
    return {
        "--help": ["--help"],
        "--version": ["--version"],
        "history": ["history", "no-such-order", *remote, "--stack-name", stack],
        "outbox": ["outbox", *remote],
        "faults show": ["faults", "show", *remote, "--stack-name", stack],
        "cost": ["cost", *remote, "--stack-name", stack],
        "load": ["load", "products", products, "--no-progress", *remote, "--stack-name", stack],
    }


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, int]:
    """(median wall seconds, median CPU seconds, the last run's exit code)."""
    times, cpu, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "orderflow.cli", *argv], env=env, capture_output=True, check=False
        )
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    return statistics.median(times), statistics.median(cpu), code


def boot(state_dir: Path) -> tuple[subprocess.Popen[str], str]:
    aws_port, api_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "orderflow.cli", "up", "--in-memory", "--quiet", "--no-console"]
    cmd += ["--no-lint", "--time-scale", "0", "--stack-name", "bench-clients", "--state-dir", str(state_dir)]
    cmd += ["--aws-port", str(aws_port), "--api-port", str(api_port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if not ready.startswith("orderflow ready"):
        proc.kill()
        raise SystemExit(f"orderflow up did not start: {ready!r}")
    return proc, f"http://127.0.0.1:{aws_port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="a running runtime's AWS endpoint (default: boot one)")
    parser.add_argument("--stack-name", default="bench-clients")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the orderflow sources to time")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the medians here")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve())}
    env.pop("AWS_ENDPOINT_URL", None)
    proc = None
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-clients-") as tmp:
        try:
            if args.endpoint:
                endpoint, stack = args.endpoint, args.stack_name
            else:
                proc, endpoint = boot(Path(tmp) / "state")
                stack = "bench-clients"
            results = {}
            load = os.getloadavg()[0]
            print(f"src {args.src}, {args.runs} runs each, load average {load:.1f} on {os.cpu_count()} cores")
            print(f"{'command':<14} {'wall':>7} {'cpu':>7}  {'target':>6}  exit")
            for name, argv in commands(endpoint, stack).items():
                wall, cpu, code = time_command(argv, args.runs, env)
                results[name] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "exit": code}
                verdict = "ok" if wall <= TARGET_S else "over"
                print(f"{name:<14} {wall:>6.3f}s {cpu:>6.3f}s  {TARGET_S:>5.1f}s  {code:>4}  {verdict}")
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=60)
    if args.json:
        document = {"target_s": TARGET_S, "src": str(args.src), "load_average": load, "median": results}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
