"""One validated set of the runtime's options: :class:`RuntimeConfig`, loaded once.

    config = RuntimeConfig.load(template, parameter_overrides=["Stage=dev"], time_scale="0")
    with Runtime(template, config) as rt: ...

:meth:`RuntimeConfig.load` turns raw inputs (samconfig.toml's parameter_overrides and the SAM CLI
style overrides, a fault-rules file, the Step Functions Local mock config path and time scale, the
environment) into checked values; every mistake found is one line of the one :class:`ConfigError`
it raises. Adding an option: a field here (with its doc comment) and the flag that sets it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from orderflow.errors import OrderflowError
from orderflow.parameters import ParameterError, parse_overrides, samconfig_overrides, validate

from .deploy import load_template
from .faults import FaultRuleError, RulesDocument, load_document, parse_rules
from .lambdas import DEFAULT_MAX_CONCURRENCY
from .model import RuntimeStartError
from .sfn_local import MOCK_CONFIG_ENV, TIME_SCALE_ENV, MockConfigError, parse_time_scale


class ConfigError(OrderflowError, ValueError):
    """Options that cannot be used; ``lines`` says each mistake on one line. ``standalone``: each
    line is said as a message of its own (the CLI names the command on each, as for parameters);
    otherwise the lines after the first continue the first (they name the file, as for fault rules)."""

    def __init__(self, lines: Iterable[str], *, standalone: bool = False) -> None:
        self.lines = list(lines)
        self.standalone = standalone
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True, kw_only=True)
class RuntimeConfig:
    stack_name: str = "orderflow"
    aws_port: int = 4566
    api_port: int | None = 3000  # None: no local API (the runtime's ApiUrl then names port 0)
    region: str = "us-east-1"
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # Where the stack's state, logs and admin token live (default <template dir>/.orderflow/<stack>)
    state_dir: Path | None = None
    log_echo: bool = False  # function log lines echoed to stderr
    # how they are echoed: "compact" (time, level, function, message) or "json" (as written); see log_echo.py
    log_format: str = "compact"
    # concurrent workers per function without ReservedConcurrentExecutions (orderflow up --max-concurrency)
    max_workers_per_function: int = DEFAULT_MAX_CONCURRENCY
    # Functions' packages (code, requirements, layers, the SDK), built once per content hash and
    # shared by every runtime of the checkout whatever its stack name (see build.py; default
    # <template dir>/.orderflow/build-cache).
    build_cache: Path | None = None
    disabled_patches: tuple[str, ...] = ()  # moto patches left off (orderflow up --disable-patch)
    # Worker processes spawned while the stack deploys (boto3 preloaded), each taken by a
    # function's cold start: one per function of the template (at most 16) unless said.
    spare_workers: int | None = None
    # Browser origins the embedded AWS answers (none by default; see browser_guard.py); its
    # state-changing /moto-api/ routes need the token written to <state_dir>/admin-token.
    allowed_origins: tuple[str, ...] = ()
    lint: bool = False  # cfn-lint before deploy (errors stop the start, warnings are logged)
    # The address the embedded AWS (and a session's API and console) listens on; its own clients
    # (workers, interpreter) use 127.0.0.1.
    host: str = "127.0.0.1"
    # Keep the embedded AWS's state in <state_dir>/aws-state across a stop and start (see
    # persistence.py): restored at start, written at stop and every snapshot_interval seconds (None: never).
    persist: bool = False
    snapshot_interval: float | None = 30.0
    # Fault injection in the embedded AWS (see faults.py): the rules in force from the start
    # (orderflow up --faults), changed while it runs through /_orderflow/faults.
    faults: RulesDocument | None = None
    # A Step Functions Local MockConfigFile.json: StartExecution on <state machine ARN>#<test case>
    # runs that test case (see sfn_local/mock_config.py).
    mock_config: Path | str | None = None
    # Scales the state machine's Retry back-off and Wait sleeps, and botocore's retry back-off
    # sleeps inside the functions' workers (None: real time; 0 skips them).
    time_scale: float | None = None
    # IAM enforced (see moto/iam.py): each function runs with a session of its execution role, the
    # state machines' integrations with theirs; requests of those sessions are evaluated against
    # the role's policies (denials: see patch_hooks.py).
    iam: bool = True

    @classmethod
    def load(
        cls,
        template: Path,
        *,
        parameter_overrides: Iterable[str] = (),
        config_env: str = "default",
        faults_file: Path | None = None,
        mock_config: Path | str | None = None,
        time_scale: str | float | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Self:
        """The config from raw inputs, every one checked; ConfigError carries every mistake's line.

        ``parameter_overrides`` (SAM CLI's Key=Value forms) win over samconfig.toml's for
        ``config_env``; the mock config path and time scale come from the arguments, else from
        ``SFN_MOCK_CONFIG`` / ``ORDERFLOW_TIME_SCALE`` in ``env`` (default os.environ).
        """
        env = os.environ if env is None else env
        template = Path(template)
        if not template.is_file():
            raise ConfigError([f"template {template} not found (see --template)"])
        api_port, aws_port = options.get("api_port", 3000), options.get("aws_port", 4566)
        if api_port is not None and api_port == aws_port:
            raise ConfigError([f"--aws-port and --api-port are both {api_port}"])
        path = str(mock_config) if mock_config else env.get(MOCK_CONFIG_ENV, "").strip() or None
        scale = load_time_scale(time_scale, env)
        values = load_parameters(template, parameter_overrides, config_env)
        faults = load_fault_rules(faults_file) if faults_file is not None else None
        return cls._loaded(
            template, parameter_overrides=values, faults=faults, mock_config=path, time_scale=scale, **options
        )

    @classmethod
    def _loaded(cls, template: Path, **fields: Any) -> Any:
        """The checked fields as an instance (a subclass with more fields may want the template)."""
        return cls(**fields)


def load_parameters(
    template: Path, parameter_overrides: Iterable[str] = (), config_env: str = "default"
) -> dict[str, str]:
    """samconfig.toml's parameter_overrides for config_env, then ``overrides``, checked against the
    template's Parameters."""
    try:
        values = samconfig_overrides(template.parent / "samconfig.toml", config_env)
        values.update(parse_overrides(parameter_overrides))
        if values:
            validate(load_template(template).get("Parameters") or {}, values)
    except ParameterError as exc:
        raise ConfigError(exc.lines, standalone=True) from None
    except RuntimeStartError as exc:
        raise ConfigError([str(exc)]) from None
    return values


def load_fault_rules(path: Path) -> RulesDocument:
    """The rules of a fault-rules file (YAML or JSON)."""
    if not path.is_file():
        raise ConfigError([f"--faults {path}: no such file"])
    try:
        return parse_rules(load_document(path.read_text(encoding="utf-8"), str(path)), str(path))
    except FaultRuleError as exc:
        raise ConfigError(exc.lines) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"--faults {path}: cannot read it ({exc})"]) from None


def load_time_scale(raw: str | float | None, env: Mapping[str, str]) -> float | None:
    """The time scale given, else ORDERFLOW_TIME_SCALE's: a finite number >= 0 (None: real time)."""
    source = "--time-scale" if raw is not None else TIME_SCALE_ENV
    text = str(raw) if raw is not None else env.get(TIME_SCALE_ENV)
    if not text or not text.strip():
        return None
    try:
        return parse_time_scale(text, source)
    except MockConfigError as exc:
        raise ConfigError([str(exc)]) from None
