"""Cold start per function as Lambda's init sees it, on what `sam build` deploys (a benchmark, not a test).

    make sam   # sam build into .aws-sam/build (and the artifact check)
    .venv/bin/python bench/coldstart.py [--build-dir .aws-sam/build] [--runs 5] [--importtime]

For every function of the template: a fresh ``python3.X -I -S`` process (the template's Runtime, from
PATH or pyenv: the layer's compiled extensions are built for it) whose ``sys.path`` is Lambda's: the
function's built package (``.aws-sam/build/<Function>``, /var/task), its layers laid out as Lambda lays
them out (one ``opt/`` folder, ``opt/python`` on the path) and the SDK Lambda's runtime provides (the
tool's pinned boto3/botocore, see orderflow/runtime/build.py) imports the handler's module; the time of
that import and the process's peak RSS afterwards are recorded, the median over ``--runs`` processes.
Environment: the function's variables (Globals + its own; values the template computes become
placeholders), Lambda's, and dummy credentials. Two modes:

- ``tracing on``: as on AWS with ``Tracing: Active`` (POWERTOOLS_TRACE_DISABLED unset);
- ``tracing off``: as the local runtime runs it (POWERTOOLS_TRACE_DISABLED=true).

The baseline is the seed's single order Lambda, measured the same way in the same run: a module
that imports boto3 and creates a DynamoDB resource and an SQS client at import time.

Writes bench/results/coldstart.json and prints a table. Numbers are measured, never adjusted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from orderflow.runtime import build  # noqa: E402
from orderflow.runtime.deploy import load_template  # noqa: E402

RESULTS = ROOT / "bench" / "results"

SEED = """\
import json
import uuid
from datetime import datetime

import boto3
from botocore.exceptions import ClientError

dynamodb = boto3.resource("dynamodb")
sqs = boto3.client("sqs")
"""

PROBE = """\
import importlib, json, sys, time
started, cpu = time.perf_counter(), time.process_time()
importlib.import_module(sys.argv[1])
took, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"ms": took, "cpu_ms": cpu, "maxrss_mb": rss}))
"""


def env_value(name: str, value: Any, parameters: dict[str, Any]) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return str(parameters[value["Ref"]].get("Default", "bench-placeholder"))
    if isinstance(value, str):
        return value
    return "arn:aws:states:us-east-1:123456789012:stateMachine:bench" if name.endswith("_ARN") else "bench"


def interpreter(runtime: str) -> str | None:
    """A working ``python3.X`` for the template's Runtime: PATH, then pyenv."""
    found = shutil.which(runtime)
    candidates = [Path(found)] if found else []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{runtime.removeprefix('python')}*/bin/{runtime}"))
    for exe in candidates:
        if subprocess.run([exe, "-c", ""], capture_output=True, check=False).returncode == 0:
            return str(exe)
    return None


def functions(template: dict[str, Any], build_dir: Path, opt_root: Path) -> dict[str, dict[str, Any]]:
    resources = template["Resources"]
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    out = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**globals_fn, **(resource.get("Properties") or {})}
        task = build_dir / logical_id
        if not task.is_dir():
            raise SystemExit(f"coldstart: {task} missing: run `make sam` (sam build) first")
        # Lambda extracts the package into /var/task and each layer into /opt, in order (copies: a
        # measurement must not leave __pycache__ in .aws-sam/build)
        opt = opt_root / logical_id / "opt"
        task = shutil.copytree(task, opt_root / logical_id / "task", symlinks=True)
        for layer in props.get("Layers") or []:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            shutil.copytree(build_dir / ref, opt, dirs_exist_ok=True, symlinks=True)
        variables = {
            **((globals_fn.get("Environment") or {}).get("Variables") or {}),
            **(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}),
        }
        out[logical_id] = {
            "module": props["Handler"].rpartition(".")[0],
            "paths": [str(task), str(opt / "python")],
            "runtime": props["Runtime"],
            "env": {k: env_value(k, v, template.get("Parameters") or {}) for k, v in variables.items()},
        }
    return out


def measure(
    python: str, module: str, paths: list[str], env: dict[str, str], runs: int, importtime: bool
) -> dict[str, Any]:
    samples = []
    for _ in range(runs):
        code = f"import sys; sys.path[:0] = {paths!r}\n" + PROBE
        # -B: /var/task and /opt are read-only on Lambda, no bytecode is cached between cold starts
        flags = ["-B", *(["-X", "importtime"] if importtime else [])]
        done = subprocess.run(
            [python, "-I", "-S", *flags, "-c", code, module],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1]}
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
        if importtime:
            top = sorted(
                (line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")),
                key=lambda parts: -int(parts[1].strip()) if parts[1].strip().isdigit() else 0,
            )[:8]
            print(f"  {module}: largest cumulative imports (us):", file=sys.stderr)
            for parts in top:
                print(f"    {parts[1].strip():>8}  {parts[2].rstrip()}", file=sys.stderr)
            importtime = False
    return {
        "import_ms": round(statistics.median(s["ms"] for s in samples), 1),
        "import_cpu_ms": round(statistics.median(s["cpu_ms"] for s in samples), 1),
        "max_rss_mb": round(statistics.median(s["maxrss_mb"] for s in samples), 1),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="print the largest imports (-X importtime)")
    parser.add_argument("--output", type=Path, default=RESULTS / "coldstart.json")
    args = parser.parse_args()

    template_path = args.template.resolve()
    cache = build.default_cache_root(template_path.parent)
    sdk = str(build.sdk_dir(cache))
    template = load_template(template_path)
    lambda_env = {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
    }
    with tempfile.TemporaryDirectory() as tmp:
        specs = functions(template, args.build_dir.resolve(), Path(tmp) / "opt")
        runtime = next(iter(specs.values()))["runtime"]
        python = interpreter(runtime)
        if python is None:
            raise SystemExit(f"coldstart: no {runtime} on PATH or in pyenv (the template's Runtime)")
        version = subprocess.run(
            [python, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
            check=True,
        )
        results: dict[str, Any] = {
            "python": version.stdout.strip(),
            "artifacts": "sam build (.aws-sam/build), layers laid out as /opt/python",
            "functions": {},
        }
        (Path(tmp) / "seed").mkdir()
        (Path(tmp) / "seed" / "seed_order.py").write_text(SEED)
        # the SDK's bytecode cached first (taken to be precompiled in Lambda's runtime; not verified)
        subprocess.run(
            [
                python,
                "-I",
                "-S",
                "-c",
                f"import sys; sys.path[:0] = {[str(Path(tmp) / 'seed'), sdk]!r}; import seed_order",
            ],
            env=lambda_env,
            capture_output=True,
            check=False,
        )
        results["seed_monolith"] = measure(
            python, "seed_order", [str(Path(tmp) / "seed"), sdk], lambda_env, args.runs, args.importtime
        )
        for logical_id, spec in specs.items():
            env = {**lambda_env, **spec["env"]}
            row = {}
            for mode, extra in (("tracing_on", {}), ("tracing_off", {"POWERTOOLS_TRACE_DISABLED": "true"})):
                row[mode] = measure(
                    python,
                    spec["module"],
                    [*spec["paths"], sdk],
                    {**env, **extra},
                    args.runs,
                    args.importtime,
                )
            results["functions"][logical_id] = row

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    seed = results["seed_monolith"]

    def cell(r: dict[str, Any]) -> str:
        if "error" in r:
            return str(r["error"])
        return f"{r['import_ms']:>6.0f} ms {r['import_cpu_ms']:>6.0f} cpu-ms {r['max_rss_mb']:>4.0f} MB"

    print("import of the handler module (wall, CPU) and peak RSS; median of", args.runs, "fresh processes")
    print(f"{'function':<26} {'tracing on (AWS)':>28} {'tracing off (local)':>28}")
    print(f"{'seed monolith':<26} {cell(seed):>28}")
    for logical_id, row in results["functions"].items():
        print(f"{logical_id:<26} {cell(row['tracing_on']):>28} {cell(row['tracing_off']):>28}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
