"""Fast retries: scale the real sleeps of moto's ASL interpreter.

moto's interpreter really waits: a Retrier sleeps ``IntervalSeconds * BackoffRate**n`` (capped by
``MaxDelaySeconds``, jittered) between attempts, and a ``Wait`` state blocks for its ``Seconds``,
``SecondsPath``, ``Timestamp`` or ``TimestampPath``. ``install_time_scale(factor)`` multiplies both
by ``factor`` (0 skips them, 1 restores moto's own code). Nothing else changes: every attempt, every
``TaskFailed`` and every Wait state's entered/exited events are still recorded in the history; only
the wall-clock time between them shrinks.

The two hooks, both reversible with ``uninstall_time_scale``:

* ``moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time``: the ``time`` module
  that ``RetrierDecl._eval_body`` calls ``time.sleep(interval_seconds)`` on is replaced, in that
  module only, by a proxy whose ``sleep`` is scaled.
* ``moto.stepfunctions.parser.asl.component.state.wait.wait_function.WaitFunction._wait_interval``
  (shared by Seconds, SecondsPath, Timestamp and TimestampPath): replaced by a scaled wait on the
  same ``env.program_state_event``, so stopping an execution still interrupts it. moto's version
  rounds the time it waited to whole seconds and would wait again forever for fractional waits.

Timeouts (``TimeoutSeconds``, ``HeartbeatSeconds``) are not scaled.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from orderflow.sfn_local.errors import MockConfigError

__all__ = ["current_time_scale", "install_time_scale", "scaled", "uninstall_time_scale"]

_lock = threading.Lock()
_factor: float = 1.0
_originals: dict[str, tuple[Any, str, Any]] = {}

# Indirections so tests can observe the scaled sleeps without sleeping (see tests/sfn_local).
_sleep = time.sleep
_monotonic = time.monotonic


def _wait_on_event(event: threading.Event, timeout: float) -> None:
    event.wait(timeout)


def current_time_scale() -> float:
    return _factor


def scaled(seconds: float) -> float:
    """``seconds`` of ASL time in wall-clock seconds under the installed factor (never negative)."""
    return max(0.0, float(seconds) * _factor)


class _ScaledTimeModule:
    """Stands in for the ``time`` module inside moto's retrier_decl: only ``sleep`` differs."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        wall_seconds = scaled(seconds)
        if wall_seconds > 0:
            _sleep(wall_seconds)


def _scaled_wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
    """WaitFunction._wait_interval under the time scale; returns early when the execution stops."""
    wall_seconds = scaled(wait_seconds)
    if wall_seconds <= 0:
        return
    deadline = _monotonic() + wall_seconds
    while env.is_running():
        remaining = deadline - _monotonic()
        if remaining <= 0:
            return
        _wait_on_event(env.program_state_event, remaining)


def _patch(owner: Any, attribute: str, replacement: Any) -> None:
    key = f"{getattr(owner, '__qualname__', owner.__name__)}.{attribute}"
    if key not in _originals:
        _originals[key] = (owner, attribute, owner.__dict__[attribute])
    setattr(owner, attribute, replacement)


def _restore() -> None:
    for owner, attribute, original in _originals.values():
        setattr(owner, attribute, original)
    _originals.clear()


def install_time_scale(factor: float) -> None:
    """Scale retry back-off and Wait state sleeps by ``factor`` (0 = no sleeping, 1 = real time)."""
    global _factor
    try:
        value = float(factor)
    except (TypeError, ValueError):
        raise MockConfigError(f"time scale: expected a non-negative number, got {factor!r}") from None
    if not math.isfinite(value) or value < 0:
        raise MockConfigError(f"time scale: expected a non-negative number, got {factor!r}")

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    with _lock:
        _factor = value
        if value == 1.0:
            _restore()
            return
        if not _originals:
            _patch(retrier_decl, "time", _ScaledTimeModule())
            _patch(WaitFunction, "_wait_interval", _scaled_wait_interval)


def uninstall_time_scale() -> None:
    """Back to real time and moto's original code."""
    global _factor
    with _lock:
        _factor = 1.0
        _restore()
