"""Template parameters the way SAM CLI takes them: ``--parameter-overrides`` and samconfig.toml.

    orderflow up --parameter-overrides WorkflowType=EXPRESS LogLevel=DEBUG
    orderflow up --parameter-overrides ParameterKey=WorkflowType,ParameterValue=EXPRESS
    orderflow up --config-env dev      # parameter_overrides of [dev.deploy.parameters] (or .global)

Values from the command line win over samconfig.toml's. Every value is checked against the
template's declaration (unknown name, ``AllowedValues``, ``AllowedPattern``, ``Number`` with
``MinValue``/``MaxValue``, ``MinLength``/``MaxLength``); each mistake is one line.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from orderflow.errors import OrderflowError

_LONG_FORM = re.compile(r"^ParameterKey=([^,]+),ParameterValue=(.*)$", re.S)


class ParameterError(OrderflowError, ValueError):
    """One or more mistakes, one line each (``lines``)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def parse_overrides(tokens: Iterable[str], source: str = "--parameter-overrides") -> dict[str, str]:
    """``Key=Value`` or ``ParameterKey=Key,ParameterValue=Value`` tokens (SAM CLI's two forms)."""
    values: dict[str, str] = {}
    mistakes = []
    for token in tokens:
        long_form = _LONG_FORM.match(token)
        if long_form:
            key, value = long_form.group(1), long_form.group(2)
        else:
            key, sep, value = token.partition("=")
            if not sep or not key:
                mistakes.append(f"{source}: {token!r} is not Key=Value or ParameterKey=K,ParameterValue=V")
                continue
        values[key.strip()] = value
    if mistakes:
        raise ParameterError(mistakes)
    return values


def samconfig_overrides(path: Path, config_env: str = "default", command: str = "deploy") -> dict[str, str]:
    """``parameter_overrides`` of ``[<env>.<command>.parameters]``, else ``[<env>.global.parameters]``;
    {} when the file or the key is absent. A string is split like a shell line (SAM's own format)."""
    if not path.is_file():
        return {}
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError([f"{path.name}: not valid TOML: {exc}"]) from None
    env = config.get(config_env)
    if env is None and config_env == "default":  # no [default...] tables: nothing to apply, as in SAM CLI
        return {}
    if env is None:
        known = ", ".join(k for k, v in config.items() if isinstance(v, dict)) or "none"
        raise ParameterError([f"{path.name}: no config env {config_env!r} (known: {known})"])
    for section in (command, "global"):
        raw = ((env.get(section) or {}).get("parameters") or {}).get("parameter_overrides")
        if raw is not None:
            tokens = shlex.split(raw) if isinstance(raw, str) else [str(t) for t in raw]
            return parse_overrides(tokens, f"{path.name} [{config_env}.{section}.parameters]")
    return {}


def validate(declared: Mapping[str, Any], values: Mapping[str, str]) -> None:
    """ParameterError listing every value the template's Parameters section does not accept."""
    mistakes = []
    for key, value in values.items():
        spec = declared.get(key)
        if not isinstance(spec, dict):
            names = ", ".join(sorted(declared)) or "none"
            mistakes.append(f"parameter {key} is not declared in the template (declared: {names})")
            continue
        mistakes.extend(f"parameter {key}={value!r}: {problem}" for problem in _problems(spec, value))
    if mistakes:
        raise ParameterError(mistakes)


def _problems(spec: dict[str, Any], value: str) -> list[str]:
    problems = []
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        problems.append(f"not one of {', '.join(str(a) for a in allowed)}")
    if spec.get("Type") == "Number":
        try:
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            return [*problems, "not a number"]
        if "MinValue" in spec and number < Decimal(str(spec["MinValue"])):
            problems.append(f"below MinValue {spec['MinValue']}")
        if "MaxValue" in spec and number > Decimal(str(spec["MaxValue"])):
            problems.append(f"above MaxValue {spec['MaxValue']}")
    else:
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), value) is None:
            problems.append(f"does not match AllowedPattern {pattern}")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            problems.append(f"shorter than MinLength {spec['MinLength']}")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            problems.append(f"longer than MaxLength {spec['MaxLength']}")
    return problems
