"""What a handler sees of Lambda in unit tests: a context object and a cold start."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from types import ModuleType

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@dataclass
class LambdaContext:
    function_name: str = "unit-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:unit-test"
    aws_request_id: str = "11111111-1111-1111-1111-111111111111"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def fresh_module(name: str) -> ModuleType:
    """Import a handler as a cold start would: settings and clients built from the current env."""
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)
