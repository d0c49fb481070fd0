"""Compact JSON for payloads (execution input, queue messages).

Callers dump pydantic models with ``model_dump(mode="json")``, so money is already a decimal string;
a stray ``Decimal`` raises TypeError here instead of ever going through float.
"""

import json
from typing import Any


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
