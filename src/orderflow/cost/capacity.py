"""DynamoDB capacity computed the way DynamoDB bills it, from item sizes. Pure.

Item size (DynamoDB Developer Guide, "Item sizes and formats"): the sum over attributes of the
name's UTF-8 length plus the value's size: a string its UTF-8 length; a number about one byte per
two significant digits plus one; binary its length; a boolean or null one byte; a list or map
3 bytes plus, per element, its size plus one byte (map keys count like attribute names); sets the
sum of their elements.

Request units (on-demand): a write is 1 WRU per started KB of the item (for an update, the larger of
the item before and after), 2x inside TransactWriteItems; a global secondary index that projects
the item costs one standard write per started KB again; a strongly consistent read is 1 RRU per
started 4 KB (an eventually consistent one half that), a transactional read 2x; BatchGetItem reads
each item on its own.

The embedded AWS (moto) reports a fixed ConsumedCapacity whatever the item size, so the figures
come from here rather than from ReturnConsumedCapacity.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

KB = 1024
READ_UNIT_BYTES = 4 * KB


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    """Size of one attribute value in DynamoDB's wire form ({"S": "..."}, {"N": "1"}, {"M": {...}}, ...)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner).encode("utf-8"))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> Decimal:
    units = max(1, math.ceil(size / KB))
    return Decimal(units * (2 if transactional else 1))


def read_units(size: int, strongly_consistent: bool = True, transactional: bool = False) -> Decimal:
    units = Decimal(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return units * 2
    return units if strongly_consistent else units / 2
