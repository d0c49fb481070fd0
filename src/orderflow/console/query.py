"""The console API's errors and query-parameter readers, shared by its handlers."""

from __future__ import annotations

from orderflow.errors import OrderflowError


class ConsoleError(OrderflowError):
    """A request the console cannot answer: ``status`` and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def integer(query: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConsoleError(400, f"{key} must be an integer, not {raw[:40]!r}") from None
    return max(low, min(high, value))


def required(query: dict[str, str], key: str) -> str:
    value = query.get(key, "")
    if not value:
        raise ConsoleError(400, f"missing query parameter {key}")
    return value
