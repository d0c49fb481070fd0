"""The REPORT line's ``Max Memory Used`` is the worker's own peak, not its parent's.

A worker is forked (then exec'd) from the runtime's process, which holds moto and every backend.
Linux keeps ``ru_maxrss`` across execve, so ``getrusage(RUSAGE_SELF)`` in the worker reported the
parent's resident size (666 MB for a ~60 MB function). The parent here touches 256 MB before it
starts a process the way the worker pool does (python -I -S, the worker script's folder imported).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orderflow.runtime.worker as worker

PROBE = (
    "import resource, sys; sys.path.insert(0, sys.argv[1]); import worker; "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, worker.peak_memory_mb())"
)


def test_peak_memory_is_the_workers_own_after_fork_from_a_big_parent() -> None:
    ballast = bytearray(256 * 1024 * 1024)
    for offset in range(0, len(ballast), 4096):  # resident, not only reserved
        ballast[offset] = 1
    folder = str(Path(worker.__file__).parent)
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, folder], check=True, capture_output=True, text=True
    ).stdout
    inherited, own = (int(v) for v in out.split())
    del ballast
    assert inherited >= 256, "ru_maxrss carries the parent's peak across exec (the old measure)"
    assert 0 < own < 100, f"the worker's own peak is a few MB to tens of MB, not the parent's: {own} MB"


def test_peak_memory_grows_with_what_the_process_itself_uses() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import worker; before = worker.peak_memory_mb(); "
        "b = bytearray(64 * 1024 * 1024); b[::4096] = b'\\x01' * len(b[::4096]); "
        "print(before, worker.peak_memory_mb())"
    )
    folder = str(Path(worker.__file__).parent)
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, folder], check=True, capture_output=True, text=True
    )
    before, after = (int(v) for v in out.stdout.split())
    assert after - before >= 60, (before, after)
