"""How a client command finds a running ``orderflow up``: the discovery record, and the endpoint rule.

At ready, ``orderflow up`` writes ``<state dir>/runtime.json`` (:func:`write_record`)::

    {"endpoints": {"aws": "http://127.0.0.1:4566", "api": "http://127.0.0.1:3000/v1/",
                   "console": "http://127.0.0.1:4580/"},
     "stack_name": "orderflow", "region": "us-east-1", "pid": 4242,
     "started_at": "2026-12-07T18:49:35Z", "state_dir": "/…/.orderflow/orderflow"}

and removes it at stop (:func:`remove_record`). A record whose process is gone (a crash, a kill -9)
is stale and ignored. The client commands (``history``, ``outbox``, ``faults``, ``cost``, ``load``)
resolve their endpoint with :func:`resolve`: ``--endpoint`` > ``$AWS_ENDPOINT_URL`` > the discovery
record beside them (``.orderflow/<stack>/runtime.json`` in the working directory, or ``--state-dir``)
> ``http://127.0.0.1:4566``. The first that answers is used; when none does, the one error line names
each endpoint tried and where it came from.

This module is the contract between the runtime and its clients (the admin token's file and header
are named here too); it imports nothing heavier than the standard library.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orderflow.errors import OrderflowError

RECORD_NAME = "runtime.json"
STATE_ROOT = ".orderflow"  # beside the template: .orderflow/<stack>/
DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_STACK = "orderflow"
ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105 - a file name, not a secret
ADMIN_TOKEN_HEADER = "X-Orderflow-Admin-Token"  # noqa: S105 - the name of a header, not a secret
PROBE_TIMEOUT_S = 0.5


class NoRuntime(OrderflowError):
    """No candidate endpoint answers; the message names each one tried and its source."""


# ------------------------------------------------------------------------------- the record


def record_path(state_dir: Path) -> Path:
    return Path(state_dir) / RECORD_NAME


def write_record(
    state_dir: Path,
    *,
    endpoints: Mapping[str, str | None],
    stack_name: str,
    region: str,
    pid: int | None = None,
    started_at: datetime | None = None,
) -> Path:
    """Write the record atomically (a reader never sees half of it); its path."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    when = (started_at or datetime.now(UTC)).astimezone(UTC)
    record = {
        "endpoints": dict(endpoints),
        "stack_name": stack_name,
        "region": region,
        "pid": os.getpid() if pid is None else pid,
        "started_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "state_dir": str(state_dir.resolve()),
    }
    path = record_path(state_dir)
    partial = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
    partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def remove_record(state_dir: Path, pid: int | None = None) -> None:
    """Remove the record if it is this process's (another `up` may have written its own since)."""
    path = record_path(state_dir)
    record = _load(path)
    if record is not None and record.get("pid") == (os.getpid() if pid is None else pid):
        path.unlink(missing_ok=True)


def pid_alive(pid: Any) -> bool:
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True


def _load(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("endpoints"), dict):
        return None
    if not isinstance(record["endpoints"].get("aws"), str):
        return None
    return record


def read_record(path: Path, alive: Callable[[Any], bool] = pid_alive) -> dict[str, Any] | None:
    """The record at ``path``; None when there is none, it is malformed, or its process is gone."""
    record = _load(path)
    if record is None or not alive(record.get("pid")):
        return None
    return record


def find_record(
    stack_name: str | None,
    state_dir: Path | None = None,
    base: Path | None = None,
    alive: Callable[[Any], bool] = pid_alive,
) -> tuple[Path, dict[str, Any]] | None:
    """The live record of ``--state-dir``, else of ``.orderflow/<stack>`` under ``base`` (default the
    working directory); with no stack named, ``.orderflow/orderflow``'s, else the most recently
    started live record under ``.orderflow/``."""
    if state_dir is not None:
        paths = [record_path(state_dir)]
    else:
        root = (base or Path.cwd()) / STATE_ROOT
        if stack_name is not None:
            paths = [record_path(root / stack_name)]
        else:
            paths = [record_path(root / DEFAULT_STACK)]
            others = sorted(root.glob(f"*/{RECORD_NAME}")) if root.is_dir() else []
            paths += [p for p in others if p not in paths]
    found = [(p, r) for p in paths if (r := read_record(p, alive)) is not None]
    if not found:
        return None
    if stack_name is None and len(found) > 1 and found[0][0] != paths[0]:
        found.sort(key=lambda pr: str(pr[1].get("started_at", "")), reverse=True)
    return found[0]


# ------------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class Target:
    """Where a client command talks to, and what it found out on the way."""

    endpoint: str
    source: str  # "--endpoint", "$AWS_ENDPOINT_URL", "discovery record <path>", "default"
    stack_name: str
    region: str | None  # the record's region when the endpoint is the record's (else None)
    state_dir: Path | None  # the record's state dir, else --state-dir (else None)
    record: dict[str, Any] | None

    def admin_token_path(self, base: Path | None = None) -> Path:
        state_dir = self.state_dir or (base or Path.cwd()) / STATE_ROOT / self.stack_name
        return state_dir / ADMIN_TOKEN_FILE


def answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def candidates(
    endpoint: str | None,
    env: Mapping[str, str],
    record: tuple[Path, dict[str, Any]] | None,
) -> list[tuple[str, str]]:
    """(url, source) in precedence order; an explicit ``--endpoint`` is the only one."""
    if endpoint:
        return [(endpoint.rstrip("/"), "--endpoint")]
    found: list[tuple[str, str]] = []
    if env.get("AWS_ENDPOINT_URL"):
        found.append((env["AWS_ENDPOINT_URL"].rstrip("/"), "$AWS_ENDPOINT_URL"))
    if record is not None:
        found.append((str(record[1]["endpoints"]["aws"]).rstrip("/"), f"discovery record {record[0]}"))
    found.append((DEFAULT_ENDPOINT, "default"))
    unique: list[tuple[str, str]] = []
    for url, source in found:
        if url not in (u for u, _ in unique):
            unique.append((url, source))
    return unique


def resolve(
    endpoint: str | None = None,
    stack_name: str | None = None,
    state_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    base: Path | None = None,
    probe: Callable[[str], bool] | None = None,
    alive: Callable[[Any], bool] = pid_alive,
) -> Target:
    """The endpoint a client command uses (see the module's doc); NoRuntime when none answers.
    ``probe`` (default :func:`answers`) says whether something answers at a URL."""
    env = os.environ if env is None else env
    probe = probe or answers
    record = find_record(stack_name, state_dir, base, alive)
    tried = candidates(endpoint, env, record)
    for url, source in tried:
        if probe(url):
            own = record is not None and url == str(record[1]["endpoints"]["aws"]).rstrip("/")
            data = record[1] if own and record is not None else None
            return Target(
                endpoint=url,
                source=source,
                stack_name=stack_name or (str(data["stack_name"]) if data else DEFAULT_STACK),
                region=str(data["region"]) if data and data.get("region") else None,
                state_dir=Path(data["state_dir"]) if data and data.get("state_dir") else state_dir,
                record=data,
            )
    listed = ", ".join(f"{url} ({source})" for url, source in tried)
    raise NoRuntime(f"no orderflow runtime at {listed} (start it with `orderflow up`, or see --endpoint)")
