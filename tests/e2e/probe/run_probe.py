"""Boot the probe template in this (separate) process and invoke both functions concurrently.

Prints one JSON document: {"results": [...], "function_names": {...}}. Run by test_isolation.py in a
subprocess because the runtime's embedded AWS is process-global and the main e2e stack is running.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from orderflow.ports import free_port
from orderflow.runtime import Runtime

HERE = Path(__file__).resolve().parent
ROUNDS = 4


def main() -> int:
    runtime = Runtime(HERE / "template.yaml", stack_name="probe", aws_port=free_port(), api_port=free_port())
    runtime.start()
    try:
        names = {logical: runtime.resources[logical] for logical in ("ProbeAFunction", "ProbeBFunction")}
        results: list[dict] = []
        errors: list[str] = []
        lock = threading.Lock()

        def call(logical: str) -> None:
            try:
                result = runtime.invoke(names[logical], {"hold": 0.15})
                with lock:
                    if result.function_error:
                        errors.append(f"{logical}: {result.payload}")
                    else:
                        results.append({"logical": logical, **result.payload})
            except Exception as exc:  # reported, the test fails on it
                with lock:
                    errors.append(f"{logical}: {exc!r}")

        for _ in range(ROUNDS):
            threads = [threading.Thread(target=call, args=(n,)) for n in ("ProbeAFunction", "ProbeBFunction")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        json.dump({"function_names": names, "results": results, "errors": errors}, sys.stdout)
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
