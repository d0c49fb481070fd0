"""Run several `orderflow` command lines one after the other in this one process (one interpreter
start and one import of moto instead of one per command line); print, as JSON, each one's exit
code, stdout and stderr.

    python tests/e2e/run_cli_many.py '[["name", ["up", "--template", "x.yaml"]], ...]'
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

from orderflow.cli import main as orderflow


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = orderflow(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


if __name__ == "__main__":
    results = {name: run(argv) for name, argv in json.loads(sys.argv[1])}
    print(json.dumps(results))
