"""A/B of `orderflow up`'s spawn -> ready line: this checkout against another commit's src (a benchmark).

    .venv/bin/python bench/boot_ab.py --before-src /tmp/base/src [--rounds 4]

The other commit's ``src`` goes first on PYTHONPATH for the "before" starts (same interpreter, same
packages, same template.yaml and build cache); rounds alternate before/after (the order rotates
each round), after one warm-up start of each. Per start: wall time to the ready line, and the CPU
time (utime+stime, /proc) the `up` process and its workers had used by then: on a loaded machine
the CPU figure is the one to compare. Medians written to bench/results/boot-ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, Up, cpu_seconds


def start(before_src: Path | None) -> dict[str, float]:
    saved = os.environ.get("PYTHONPATH")
    if before_src is not None:
        os.environ["PYTHONPATH"] = str(before_src)
    try:
        up = Up("bootab")
        try:
            ready_s, _ = up.start(timeout=600)
            assert up.proc is not None
            cpu = cpu_seconds(up.proc.pid)
            # + its children already reaped (cfn-lint's process): cutime + cstime
            fields = Path(f"/proc/{up.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu["parent"] += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        finally:
            up.stop()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return {
        "ready_s": round(ready_s, 2),
        "cpu_up_s": round(cpu["parent"], 2),  # incl. its reaped children (cfn-lint)
        "cpu_workers_s": round(cpu["workers"], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before-src", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "boot-ab.json")
    args = parser.parse_args()
    variants = {"before": args.before_src.resolve(), "after": None}
    for src in variants.values():
        start(src)  # warm-up: caches filled for both
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for rnd in range(args.rounds):
        names = list(variants) if rnd % 2 == 0 else list(reversed(variants))
        for name in names:
            runs[name].append(start(variants[name]))
            print(f"round {rnd} {name:6s} {runs[name][-1]}", flush=True)
    medians = {
        name: {key: round(statistics.median(r[key] for r in values), 2) for key in values[0]}
        for name, values in runs.items()
    }
    result = {"before_src": str(args.before_src), "runs": runs, "median": medians, "load": os.getloadavg()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(medians))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
