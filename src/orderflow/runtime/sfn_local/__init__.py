"""Step Functions Local compatible mocked service integrations and fast retries for moto.

:class:`~orderflow.runtime.Runtime` switches them on for its run (:func:`switched_on`) from its
:class:`~orderflow.runtime.config.RuntimeConfig`, the one reader of the options and the environment
(``--mock-config`` / ``SFN_MOCK_CONFIG``, ``--time-scale`` / ``ORDERFLOW_TIME_SCALE``):

* a Step Functions Local ``MockConfigFile.json``: StartExecution on ``<state machine ARN>#<test
  case>`` then runs that test case (see ``mock_config``);
* a time scale: scales Retry back-off and Wait state sleeps (0 skips them, 1 = real time; see
  ``time_scale``).

Bad input raises ``MockConfigError`` with a one-line message naming the place.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

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


def parse_time_scale(raw: str, source: str = TIME_SCALE_ENV) -> float:
    """A time scale from text: a finite number >= 0."""
    return validated_time_scale(raw, source)


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
