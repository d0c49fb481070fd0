"""A handler held at a gate (fixtures' gate.py): two FIFOs, no sleeps. The test learns that the
invocation is inside its handler (``wait_entered``, the handler's pid) and then lets it go."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any


class Gate:
    def __init__(self, folder: Path, name: str = "gate"):
        self.entered = folder / f"{name}-entered"
        self.release_path = folder / f"{name}-release"
        os.mkfifo(self.entered)
        os.mkfifo(self.release_path)
        self.released = False

    @property
    def event(self) -> dict[str, Any]:
        return {"entered": str(self.entered), "release": str(self.release_path)}

    def wait_entered(self, timeout: float = 30.0) -> int:
        """The pid of the handler now held at the gate."""
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.entered.read_text()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():  # unblock the reader before failing
            with open(self.entered, "w"):
                pass
            raise AssertionError("the invocation never reached its handler")
        return int(box[0])

    def release(self) -> None:
        """Let the handler go, whether it waits already or opens the FIFO only later: a byte is left
        in the FIFO, held open read-write (which never blocks on Linux), so the handler's read(1)
        returns at once. (Closing a write end, as this did before, released nobody when the handler
        had written ``entered`` but not yet opened ``release``: it then waited out its timeout.)"""
        if not self.released:
            self.released = True
            self._fd = os.open(self.release_path, os.O_RDWR | os.O_NONBLOCK)
            os.write(self._fd, b"x")

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def in_thread(call: Any, *args: Any) -> tuple[threading.Thread, list[Any]]:
    """``call(*args)`` in a thread; its result (or exception) lands in the returned list."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(call(*args))
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box
