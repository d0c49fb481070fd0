"""Step Functions Local compatible mocked service integrations and fast retries for moto.

Call ``configure_from_env()`` once at start-up, in the process that serves moto (the hooks patch
moto's in-process Step Functions backend):

* ``SFN_MOCK_CONFIG=<path>``: a Step Functions Local ``MockConfigFile.json``; StartExecution on
  ``<state machine ARN>#<test case>`` then runs that test case (see ``mock_config``).
* ``ORDERFLOW_TIME_SCALE=<float>``: scales Retry back-off and Wait state sleeps (0 skips them,
  default 1 = real time; see ``time_scale``).

Bad input raises ``MockConfigError`` with a one-line message naming the place.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
from orderflow.runtime.sfn_local.errors import MockConfigError
from orderflow.runtime.sfn_local.mock_config import MockConfig, load_mock_config, validate_against_definitions
from orderflow.runtime.sfn_local.time_scale import (
    install_time_scale,
    uninstall_time_scale,
    validated_time_scale,
)

__all__ = [
    "MOCK_CONFIG_ENV",
    "TIME_SCALE_ENV",
    "MockConfig",
    "MockConfigError",
    "SfnLocalSettings",
    "configure",
    "configure_from_env",
    "install_mock_config",
    "install_time_scale",
    "installed_mock_config",
    "load_mock_config",
    "reset",
    "switched_on",
    "uninstall_mock_config",
    "validate_against_definitions",
]

MOCK_CONFIG_ENV = "SFN_MOCK_CONFIG"
_lock = threading.Lock()
TIME_SCALE_ENV = "ORDERFLOW_TIME_SCALE"


@dataclass(frozen=True)
class SfnLocalSettings:
    """What configure/configure_from_env installed."""

    mock_config: MockConfig | None
    time_scale: float


def parse_time_scale(raw: str, source: str = TIME_SCALE_ENV) -> float:
    """A time scale from text: a finite number >= 0."""
    return validated_time_scale(raw, source)


def configure(mock_config_path: str | None = None, time_scale: float | None = None) -> SfnLocalSettings:
    """Load and install a mock configuration file and/or a time scale (None leaves each off).

    Everything is validated before anything is installed, so a bad file changes nothing.
    """
    config = load_mock_config(mock_config_path) if mock_config_path else None
    if time_scale is not None:
        install_time_scale(time_scale)
    if config is not None:
        install_mock_config(config)
    return SfnLocalSettings(mock_config=config, time_scale=1.0 if time_scale is None else time_scale)


def configure_from_env(environ: Mapping[str, str] | None = None) -> SfnLocalSettings:
    """Install what ``SFN_MOCK_CONFIG`` and ``ORDERFLOW_TIME_SCALE`` ask for (unset or empty: nothing)."""
    env = os.environ if environ is None else environ
    raw_scale = env.get(TIME_SCALE_ENV, "").strip()
    time_scale = parse_time_scale(raw_scale) if raw_scale else None
    path = env.get(MOCK_CONFIG_ENV, "").strip() or None
    return configure(mock_config_path=path, time_scale=time_scale)


def install_mock_config(config: MockConfig) -> None:
    """Make moto's executing Step Functions backend run ``<arn>#<test case>`` executions from ``config``.

    Installing again replaces the configuration (executions already running keep theirs).
    """
    with _lock:
        sfn_local_hooks.set_mock_config(config)
        REGISTRY.enable(sfn_local_hooks.SFN_MOCK_CONFIG.name)


def uninstall_mock_config() -> None:
    """Undo install_mock_config: moto's original methods come back."""
    with _lock:
        REGISTRY.disable(sfn_local_hooks.SFN_MOCK_CONFIG.name)
        sfn_local_hooks.set_mock_config(None)


def installed_mock_config() -> MockConfig | None:
    """The configuration moto currently uses, if any."""
    return sfn_local_hooks.mock_config()


def reset() -> None:
    """Remove every hook (moto back to its own behaviour)."""
    uninstall_mock_config()
    uninstall_time_scale()


@contextlib.contextmanager
def switched_on(config: MockConfig | None, time_scale: float | None) -> Iterator[None]:
    """Install ``config`` and ``time_scale`` for the block, each undone on the way out (None leaves
    that switch as it is): how ``Runtime`` runs its config's Step Functions Local settings."""
    if time_scale is not None:
        install_time_scale(time_scale)
    try:
        if config is not None:
            install_mock_config(config)
        try:
            yield
        finally:
            if config is not None:
                uninstall_mock_config()
    finally:
        if time_scale is not None:
            uninstall_time_scale()
