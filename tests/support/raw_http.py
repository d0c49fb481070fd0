"""Raw HTTP/1.1 exchanges for server tests: bytes that no well-behaved client would send."""

from __future__ import annotations

import json
import socket
from typing import Any


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` to 127.0.0.1:``port`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def json_response(response: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """(status, headers with lower-case names, JSON body) of one raw response."""
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, json.loads(body)
