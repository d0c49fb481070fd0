"""Where `orderflow up`'s start-up time goes, on a warm checkout (a benchmark, not a test).

    .venv/bin/python bench/boot_phases.py [--runs 3] [--output bench/results/boot-phases.json]

Runs `orderflow up --in-memory --quiet` on template.yaml (cfn-lint on, as by default) once to warm
the build cache (function builds, their zips, cfn-lint's findings), then ``--runs`` more times, each
until its `orderflow ready` line. Each start appends its phases to ``ORDERFLOW_BOOT_LOG``
(src/orderflow/runtime/boot_log.py); per run: spawn -> ready (wall), and the phases in ms. The phase
"before the session" is spawn -> ready minus the session's own start: the interpreter, the imports
(moto, samtranslator, cfn-lint's YAML decoder, boto3) and reading the configuration. The median of
the runs is printed beside the target (<= 3 s, issue 21).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, Up, cpu_seconds

TARGET_S = 3.0
# the phases in the order they happen (runtime phases nest inside runtime_start_ms)
PHASES = (
    ("before_session_ms", "interpreter, imports, configuration"),
    ("workers_prespawn_ms", "worker prespawn (processes started)"),
    ("moto_start_ms", "moto patches applied"),
    ("aws_start_ms", "embedded AWS up (incl. the two above)"),
    ("package_ms", "function builds, zips, uploads to S3"),
    ("transform_ms", "SAM transform"),
    ("lint_wait_ms", "waiting for cfn-lint"),
    ("create_stack_ms", "CreateStack (every resource)"),
    ("runtime_start_ms", "runtime start in all"),
    ("check_handlers_ms", "workers import their handlers"),
    ("api_console_start_ms", "local API and console started"),
)


def one_start(stack: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "boot.jsonl"
        os.environ["ORDERFLOW_BOOT_LOG"] = str(log)
        up = Up(stack)
        try:
            ready_s, _ = up.start()
            assert up.proc is not None
            cpu_s = sum(cpu_seconds(up.proc.pid).values())  # up and its workers at the ready line
        finally:
            up.stop()
            os.environ.pop("ORDERFLOW_BOOT_LOG", None)
        lines = [json.loads(line) for line in log.read_text().splitlines()]
    merged: dict[str, Any] = {}
    for line in lines:
        merged.update({k: v for k, v in line.items() if k not in ("kind", "stack", "pid", "at")})
    merged["ready_ms"] = round(ready_s * 1000, 1)
    merged["cpu_at_ready_ms"] = round(cpu_s * 1000, 1)
    merged["before_session_ms"] = round(ready_s * 1000 - merged.get("session_start_ms", 0.0), 1)
    return merged


def import_ms() -> float:
    """A fresh interpreter importing what `orderflow up` imports before it starts anything."""
    code = "import time; t = time.perf_counter(); import orderflow.cli, orderflow.session; "
    code += "print((time.perf_counter() - t) * 1000)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(out.stdout.strip())


def measure(runs: int) -> dict[str, Any]:
    one_start("bootwarm")  # fills the build cache: builds, zips, cfn-lint's findings
    starts = [one_start("boot") for _ in range(runs)]
    imports = [import_ms() for _ in range(runs)]
    keys = sorted({k for s in starts for k in s if isinstance(s[k], int | float)})
    medians = {k: round(statistics.median(s.get(k, 0.0) for s in starts), 1) for k in keys}
    medians["imports_alone_ms"] = round(statistics.median(imports), 1)
    return {"runs": starts, "median": medians, "target_ready_s": TARGET_S}


def rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    m = result["median"]
    out = [("boot: spawn -> ready line (median)", f"{m['ready_ms'] / 1000:.2f} s", f"<= {TARGET_S:g} s")]
    for key, label in PHASES:
        if key in m:
            out.append((f"  {label}", f"{m[key]:.0f} ms", ""))
    out.append(("  (imports alone, fresh interpreter)", f"{m['imports_alone_ms']:.0f} ms", ""))
    if "cpu_at_ready_ms" in m:  # what bounds the wall time: the CPU work spread over every core
        cores = os.cpu_count() or 1
        cpu = m["cpu_at_ready_ms"] / 1000
        out.append(("boot: CPU of up and its workers at ready", f"{cpu:.2f} s", ""))
        out.append(
            (f"  its floor on {cores} cores (CPU / cores)", f"{cpu / cores:.2f} s", f"<= {TARGET_S:g} s")
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "boot-phases.json")
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = measure(args.runs)
    result["bench_s"] = round(time.perf_counter() - t0, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for name, value, target in rows(result):
        print(f"{name:<44} {value:>10}  {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
