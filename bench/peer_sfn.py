"""Mocked orchestration against the in-process peer, on the same definition (a benchmark, not a test).

    .venv/bin/python bench/peer_sfn.py [--runs 200] [--output bench/results/peer-sfn.json]

Ours: `orderflow up --mock-config tests/statemachine/MockConfigFile.json --time-scale 0` (stack
``orderflow``), then ``--runs`` sequential executions of ``<OrderWorkflow arn>#HappyPath`` by one
client (every Task answered by the mock config: no Lambda runs); per execution the engine time
(startDate -> stopDate of DescribeExecution, polled every 10 ms).

The peer: aws-local-stepfunctions 3.0.0 from the npm registry, installed with ``npm install`` into
``bench/.cache/peer`` (git-ignored) the first time, run by node (bench/peer_sfn.cjs) on the very
definition the stack deployed (DescribeStateMachine: substitutions resolved), each Task overridden
by a local handler returning that state's HappyPath mocked response; per execution the wall time of
``run() -> result``, in process. The ratio ours p50 / peer p50 is printed beside the target (<= 10x,
issue 21). Without node or npm, or when the install fails, it says so and reports ours alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import MOCK_CONFIG, MOCKED_CASE, MOCKED_STACK, ROOT, Up, clients, order_body, summary

PEER = "aws-local-stepfunctions@3.0.0"
CACHE = ROOT / "bench" / ".cache" / "peer"
TARGET_RATIO = 10.0


def install_peer() -> str | None:
    """None when the peer is installed in CACHE; else why it is not."""
    if (CACHE / "node_modules" / "aws-local-stepfunctions" / "package.json").is_file():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found on PATH"
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(CACHE), PEER],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return f"npm install {PEER} failed: " + " ".join((done.stderr or done.stdout).split())[-300:]
    return None


def happy_path_mocks() -> dict[str, Any]:
    """State name -> the first response of its HappyPath mocked response (all are single Returns)."""
    config = json.loads(MOCK_CONFIG.read_text())
    case = config["StateMachines"][f"{MOCKED_STACK}-OrderWorkflow"]["TestCases"][MOCKED_CASE]
    mocks = {}
    for state, response in case.items():
        attempts = config["MockedResponses"][response]
        mocks[state] = attempts[sorted(attempts, key=lambda k: int(k.split("-")[0]))[0]]
    return mocks


def ours(runs: int, warmup: int) -> tuple[dict[str, Any], str, dict[str, Any]]:
    up = Up(MOCKED_STACK, ["--mock-config", str(MOCK_CONFIG), "--time-scale", "0"])
    up.start()
    try:
        sfn = clients(up.endpoint)["stepfunctions"]
        cfn = clients(up.endpoint)["cloudformation"]
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cfn.describe_stacks(StackName=MOCKED_STACK)["Stacks"][0].get("Outputs", [])
        }
        arn = outputs["OrderWorkflowArn"]
        definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        body = order_body([f"p{k}" for k in range(9)], 0)
        engine: list[float] = []
        statuses: dict[str, int] = {}
        for i in range(warmup + runs):
            started = sfn.start_execution(
                stateMachineArn=f"{arn}#{MOCKED_CASE}",
                name=f"peer-{uuid.uuid4().hex[:12]}",
                input=json.dumps(body),
            )
            while True:
                described = sfn.describe_execution(executionArn=started["executionArn"])
                if described["status"] != "RUNNING":
                    break
                time.sleep(0.01)
            if i >= warmup:
                statuses[described["status"]] = statuses.get(described["status"], 0) + 1
                engine.append((described["stopDate"] - described["startDate"]).total_seconds() * 1000)
    finally:
        up.stop()
    return {"engine_ms": summary(engine), "statuses": statuses}, definition, body


def peer(definition: str, body: dict[str, Any], runs: int, warmup: int) -> dict[str, Any]:
    spec = {"definition": json.loads(definition), "input": body, "runs": runs, "warmup": warmup}
    spec["mocks"] = happy_path_mocks()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(spec, handle)
        handle.flush()
        done = subprocess.run(
            ["node", str(ROOT / "bench" / "peer_sfn.cjs"), str(CACHE), handle.name],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        return {"error": " ".join(done.stderr.split())[-400:]}
    out = json.loads(done.stdout)
    return {
        "version": out["version"],
        "node": out["node"],
        "promise_with_resolvers_polyfilled": out["polyfilled"],
        "ms": summary(out["ms"]),
        "output": out["last"],
    }


def measure(runs: int, warmup: int) -> dict[str, Any]:
    mine, definition, body = ours(runs, warmup)
    result: dict[str, Any] = {"ours": mine, "target_ratio": TARGET_RATIO}
    why_not = install_peer()
    if why_not is not None:
        result["peer_missing"] = why_not
        return result
    result["peer"] = peer(definition, body, runs, warmup)
    if "ms" in result["peer"]:
        result["ratio"] = round(mine["engine_ms"]["p50"] / max(result["peer"]["ms"]["p50"], 1e-3), 1)
    return result


def rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = [("mocked execution, ours: engine p50", f"{result['ours']['engine_ms']['p50']:.2f} ms", "")]
    if "peer_missing" in result:
        out.append(("peer aws-local-stepfunctions", "not run: " + result["peer_missing"], ""))
    elif "error" in result["peer"]:
        out.append(("peer aws-local-stepfunctions", "failed: " + result["peer"]["error"][:80], ""))
    else:
        out.append(("mocked execution, peer 3.0.0: p50", f"{result['peer']['ms']['p50']:.2f} ms", ""))
        out.append(("ours / peer (p50)", f"{result['ratio']:.1f}x", f"<= {TARGET_RATIO:g}x"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "peer-sfn.json")
    args = parser.parse_args()
    result = measure(args.runs, args.warmup)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    for name, value, target in rows(result):
        print(f"{name:<44} {value:>10}  {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
