"""Where a start's time went, for the benchmark and for counting starts (not shown to users).

With ``ORDERFLOW_BOOT_LOG=<file>`` in the environment, every runtime that starts (in this process or
in any process it runs, e.g. the test suite's ``orderflow up`` subprocesses) appends one JSON line to
that file: its stack name, process id and the durations of its start's phases in milliseconds
(``Runtime.timings``: moto's start, the worker prespawn, packaging, the SAM transform, the wait for
cfn-lint, CreateStack, ...; and the session's own phases when a LocalSession started it).
``bench/boot_phases.py`` reads it; so can ``grep -c`` after a test session (how many full starts).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

ENV = "ORDERFLOW_BOOT_LOG"


def record(kind: str, stack_name: str, timings: dict[str, float]) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    line = {"kind": kind, "stack": stack_name, "pid": os.getpid(), "at": time.time()}
    line.update({key: round(value, 1) for key, value in timings.items()})
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")  # one write of one line: whole lines from many processes


@contextlib.contextmanager
def phase(timings: dict[str, float], name: str) -> Iterator[None]:
    """``timings[name]``: the milliseconds the block took."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = (time.perf_counter() - t0) * 1000
