"""Local TCP ports: is one free, pick one."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def port_free(port: int, host: str = HOST) -> bool:
    """Nothing listens on ``host:port`` (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def pick_port(preferred: int | None, default: int, host: str = HOST) -> int:
    """``preferred`` as given; else ``default`` when free; else any free port."""
    if preferred is not None:
        return preferred
    return default if port_free(default, host) else free_port(host)
