"""Environment variables parsed once into a typed model, so a missing one fails at cold start."""

import os
from typing import TypeVar

from pydantic import BaseModel, ValidationError

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete (a template problem, never a caller's)."""


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Build ``model`` from environment variables named like its fields, upper-cased."""
    values = {name: os.environ.get(name.upper()) for name in model.model_fields}
    present = {name: value for name, value in values.items() if value is not None}
    try:
        return model.model_validate(present)
    except ValidationError as exc:
        missing = ", ".join(str(err["loc"][0]).upper() for err in exc.errors())
        raise ConfigurationError(f"missing or invalid environment variables: {missing}") from exc
