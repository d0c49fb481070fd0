"""tests/support/ports.py: ports for processes that bind them later, out of the kernel's own reach."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from orderflow.ports import free_port, port_free
from tests.support import ports
from tests.support.ports import ephemeral_range, later_port


def test_later_ports_are_free_distinct_and_never_what_bind_0_hands_out() -> None:
    low, high = ephemeral_range()
    given = [later_port() for _ in range(20)]
    assert len(set(given)) == len(given)
    assert all(not low <= port <= high and port_free(port) for port in given), given
    assert low <= free_port() <= high  # where bind(0) picks, which later_port avoids


def test_a_port_in_use_is_skipped_and_none_left_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = later_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", taken))
        listener.listen()
        ephemeral = tmp_path / "ip_local_port_range"
        ephemeral.write_text(f"{taken + 2}\t65535\n")  # two candidates left: taken, taken + 1
        monkeypatch.setattr(ports, "EPHEMERAL_RANGE", ephemeral)
        monkeypatch.setattr(ports, "LOWEST", taken)
        monkeypatch.setattr(ports, "_given", set())
        if port_free(taken + 1):
            assert later_port() == taken + 1
        with pytest.raises(RuntimeError, match="no free port"):
            later_port()
