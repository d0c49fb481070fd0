"""Speed-up of importing moto: botocore's region lists computed once per process, not once per Session.

Importing ``moto.ec2`` (which the Step Functions interpreter's Batch integration imports) runs, in a
class body, ``boto3.Session().get_available_regions("ec2", partition)`` for three partitions, each in a
new Session; moto's backends do the same per service through a session of their own. botocore's
``get_available_regions`` loads the service's whole model (for its ``endpointPrefix``; EC2's is the
largest) and ``endpoints.json`` into that Session's own loader, so every new Session parses them again:
about 0.5 s of the 2.3 s it takes `orderflow up` to import what it runs (issue 21's boot).

:func:`install` (called by this package before anything of moto is imported, and never undone) keeps
each answer, keyed by the arguments and the Session's data search paths, and computes a new one on the
first Session seen with those search paths (so its loader's caches serve every later question): the
answer is a pure function of botocore's data files, which do not change while the process runs. Each
caller gets a list of its own. ``tests/moto_patches/test_regions_cache.py`` notices the day moto stops
building Sessions at import (then this can go).
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.session import Session

_ORIGINAL = Session.get_available_regions
_answers: dict[tuple[Any, ...], list[str]] = {}
_sessions: dict[tuple[str, ...], Session] = {}  # data search paths -> the Session that answers for them
_lock = threading.Lock()


def _cached(
    self: Session, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False
) -> list[str]:
    paths = tuple(self.get_component("data_loader").search_paths)
    key = (service_name, partition_name, allow_non_regional, paths)
    with _lock:
        answer = _answers.get(key)
        if answer is None:
            answering = _sessions.setdefault(paths, self)
            answer = _answers[key] = _ORIGINAL(answering, service_name, partition_name, allow_non_regional)
    return list(answer)


def install() -> None:
    """Cache ``botocore.session.Session.get_available_regions`` process-wide (idempotent)."""
    Session.get_available_regions = _cached


def installed() -> bool:
    return Session.get_available_regions is _cached
