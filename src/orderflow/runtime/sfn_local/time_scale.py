"""Fast retries: scale the real sleeps of moto's ASL interpreter (Retry back-off, Wait states).

``install_time_scale(factor)`` multiplies both by ``factor`` (0 skips them, 1 restores moto's own
code). Nothing else changes: every attempt, every ``TaskFailed`` and every Wait state's events are
still recorded in the history; only the wall-clock time between them shrinks. Timeouts
(``TimeoutSeconds``, ``HeartbeatSeconds``) are not scaled. The hooks themselves are the
``sfn_time_scale`` patch in :mod:`orderflow.runtime.moto.sfn_local_hooks`.
"""

from __future__ import annotations

import math
import threading

from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
from orderflow.runtime.sfn_local.errors import MockConfigError

__all__ = [
    "current_time_scale",
    "install_time_scale",
    "scaled",
    "uninstall_time_scale",
    "validated_time_scale",
]

_lock = threading.Lock()
scaled = sfn_local_hooks.scaled
current_time_scale = sfn_local_hooks.time_scale


def validated_time_scale(factor: object, source: str = "time scale") -> float:
    """``factor`` (a number or its text) as a finite float >= 0; MockConfigError naming ``source``."""
    try:
        value = float(factor.strip() if isinstance(factor, str) else factor)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MockConfigError(f"{source}: expected a non-negative number, got {factor!r}") from None
    if not math.isfinite(value) or value < 0:
        raise MockConfigError(f"{source}: expected a non-negative number, got {factor!r}")
    return value


def install_time_scale(factor: float) -> None:
    """Scale retry back-off and Wait state sleeps by ``factor`` (0 = no sleeping, 1 = real time)."""
    value = validated_time_scale(factor)
    with _lock:
        sfn_local_hooks.set_time_scale(value)
        if value == 1.0:
            REGISTRY.disable(sfn_local_hooks.SFN_TIME_SCALE.name)
        else:
            REGISTRY.enable(sfn_local_hooks.SFN_TIME_SCALE.name)


def uninstall_time_scale() -> None:
    """Back to real time and moto's original code."""
    install_time_scale(1.0)
