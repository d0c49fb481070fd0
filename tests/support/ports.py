"""Ports for a process that is started now and binds them later (seconds to a minute on a loaded machine).

:func:`orderflow.ports.free_port` answers the kernel's choice for ``bind(0)``: a random free port of
the ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``), released at once. Until the child
binds it, any ``bind(0)`` or outgoing connection of this process (the in-process tests' servers and
clients) or of another may be handed the same port, and the child then fails "port in use". The
kernel never hands out a port outside that range by itself, so a port chosen there that is free now
stays free until someone asks for that very number.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

from orderflow.ports import HOST, port_free

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Linux's default; the BSDs, macOS and Windows use 49152-65535 (IANA's dynamic ports), inside it
DEFAULT_EPHEMERAL = (32768, 65535)
LOWEST = 20000  # above the ports tests and defaults name (3000, 4566, 4580, 5000, 8000...)

_given: set[int] = set()
_lock = threading.Lock()
_random = random.Random()  # seeded from os.urandom: not the global seed pytest-randomly sets per test


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands out by itself (both ends included)."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL
    return low, high


def later_port(host: str = HOST) -> int:
    """A port free now, outside the ephemeral range (so no ``bind(0)`` or connection takes it
    meanwhile), and not given before by this function in this process."""
    low, high = ephemeral_range()
    candidates = [port for port in range(LOWEST, 65536) if not low <= port <= high]
    _random.shuffle(candidates)
    with _lock:
        for port in candidates:
            if port not in _given and port_free(port, host):
                _given.add(port)
                return port
    raise RuntimeError(f"no free port from {LOWEST} outside the ephemeral range {low}-{high}")
