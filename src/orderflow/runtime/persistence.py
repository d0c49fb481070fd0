"""When the embedded AWS's state is written to the state dir, and how a write sees it whole.

``orderflow up`` (unless ``--in-memory``) keeps moto's whole state in ``<state dir>/aws-state``
(see :mod:`.moto.state` for the file). It is written

* at a clean stop (Ctrl-C, SIGTERM, ``Runtime.stop()``), before anything is torn down;
* every ``interval`` seconds while requests came in since the last write (the periodic snapshot);
* on demand: ``POST /_orderflow/snapshot`` (with the admin token) or :meth:`Runtime.snapshot`.

The guarantee: a crash (SIGKILL, power loss) loses at most what changed since the last write; the
file itself is never half-written (temporary file + rename). A write waits for the requests in
flight and holds new ones back while it pickles (:class:`RequestGate`), so it never sees half a
request; executions running inside the process are saved as they stand and come back interrupted.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .model import RuntimeStartError

log = logging.getLogger("orderflow.runtime")

STATE_FILE = "aws-state"
LOCK_FILE = "aws-state.lock"


class StateDirInUse(RuntimeStartError, RuntimeError):
    """Another running runtime keeps its state in the same dir (a start it refuses)."""


class StateDirLock:
    """An exclusive lock (flock) on ``<state dir>/aws-state.lock`` while a persisting runtime runs:
    two of them on one state dir would overwrite each other's state. The lock goes with the process
    (a SIGKILL releases it)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise StateDirInUse(
                f"state dir {self.path.parent} is in use by another orderflow up"
                + (f" (pid {holder})" if holder else "")
                + ": stop it, or give this one another --state-dir or --in-memory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class RequestGate:
    """Many requests at once, or one snapshot alone (a readers-writer lock); counts the requests.

    A request that waits for other requests to the same server (a Lambda Invoke waits for the
    function, whose AWS calls come back here) must not pass the gate: the snapshot would wait for
    it while it waits for requests the snapshot holds back. :func:`passes_gate` leaves those out, and
    a snapshot waits for the requests in flight ``drain_timeout`` seconds at most in any case."""

    def __init__(self, drain_timeout: float = 5.0) -> None:
        self.drain_timeout = drain_timeout
        self._cond = threading.Condition()
        self._active = 0
        self._exclusive = False
        self.requests = 0

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._active += 1
            self.requests += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._exclusive = True
            self._cond.wait_for(lambda: self._active == 0, timeout=self.drain_timeout)
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def passes_gate(environ: dict[str, object]) -> bool:
    """Whether a request to the embedded AWS is held back by a snapshot (see :class:`RequestGate`):
    all but Lambda's Invoke and Step Functions' StartSyncExecution, which wait for other requests."""
    path = str(environ.get("PATH_INFO", ""))
    if "/functions/" in path and path.rstrip("/").endswith(("/invocations", "/invoke-async")):
        return False
    return "StartSyncExecution" not in str(environ.get("HTTP_X_AMZ_TARGET", ""))


class PeriodicSnapshots:
    """Calls ``snapshot()`` every ``interval`` seconds if the gate saw requests since the last one."""

    def __init__(self, gate: RequestGate, snapshot: Callable[[], object], interval: float) -> None:
        self._gate = gate
        self._snapshot = snapshot
        self._interval = interval
        self._stop = threading.Event()
        self._seen = gate.requests
        self._thread = threading.Thread(target=self._run, name="state-snapshots", daemon=True)

    def start(self) -> None:
        self._seen = self._gate.requests
        self._thread.start()

    def mark_saved(self, requests_seen: int) -> None:
        self._seen = max(self._seen, requests_seen)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._gate.requests == self._seen:
                continue
            t0 = time.perf_counter()
            try:
                self._snapshot()
            except Exception:
                log.warning("periodic snapshot of the state failed", exc_info=True)
            else:
                log.debug("state snapshot in %.0f ms", (time.perf_counter() - t0) * 1000)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)


def rotate_logs(state_dir: Path) -> None:
    """Function logs are per run: the previous run's stay in logs.previous, older ones go.

    In-memory runtimes on one stack name share the folder without its lock (a test session's demo
    beside its in-process runs), so another start may have moved ``logs`` between the look and the move:
    then there is nothing left to rotate."""
    logs = state_dir / "logs"
    if logs.is_dir():
        shutil.rmtree(state_dir / "logs.previous", ignore_errors=True)
        # gone, or the other start's logs.previous is already there: keep writing
        with contextlib.suppress(OSError):
            logs.rename(state_dir / "logs.previous")
