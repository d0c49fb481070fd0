"""The client commands talk to a running runtime over its endpoints: each one's whole import path
(run in a fresh process against a moto server holding a stack) never loads moto or the runtime
package, and --help, --version, outbox and faults not even boto3. A count of modules, not a timing:
bench/client_commands.py times them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("moto", "orderflow.runtime", "boto3", "samtranslator")

# One process runs the commands one after the other, those that need no boto3 first, and reports
# the heavy packages loaded after each (what one loaded stays loaded for the next).
CHILD = """
import contextlib, io, json, sys
from orderflow.cli import main
heavy, report = json.loads(sys.argv[1]), []
for argv in json.loads(sys.argv[2]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
    report.append(sorted({h for h in heavy for m in sys.modules if m == h or m.startswith(h + ".")}))
print(json.dumps(report))
"""


def loaded(commands: list[list[str]], cwd: Path) -> list[list[str]]:
    """Per command, the heavy packages loaded by the time it (and those before it) ended."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")  # a local moto
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(HEAVY), json.dumps(commands)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_client_commands_never_import_moto_or_the_runtime(moto_stack: str, tmp_path: Path) -> None:
    remote = ["--endpoint", moto_stack]
    products = str(ROOT / "src/orderflow/demo_data/products.json")
    light = [["--help"], ["--version"], ["outbox", *remote], ["faults", "show", *remote]]
    with_boto3 = [
        ["history", "no-such-order", *remote],
        ["cost", *remote],
        ["load", "products", products, "--no-progress", *remote],
    ]
    report = loaded([*light, *with_boto3], tmp_path)
    assert report == [[]] * len(light) + [["boto3"]] * len(with_boto3)
