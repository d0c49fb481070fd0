"""Lambda event filtering (``FilterCriteria``) for event source mappings.

A record is kept when ANY filter's pattern matches it. A pattern is a JSON object that mirrors the
record: a nested object descends into the record, a list holds the accepted values of that field.
The supported subset of the AWS pattern syntax:

- exact values: ``{"eventName": ["INSERT", "MODIFY"]}`` (strings, numbers, booleans, null)
- nested keys: ``{"dynamodb": {"NewImage": {"status": {"S": ["active"]}}}}``
- ``{"prefix": "abc"}``, ``{"suffix": "xyz"}``, ``{"equals-ignore-case": "AbC"}``
- ``{"exists": true}`` / ``{"exists": false}``
- ``{"anything-but": "x"}``, ``{"anything-but": ["x", "y"]}``, ``{"anything-but": {"prefix": "x"}}``
- ``{"numeric": [">", 0, "<=", 100]}`` (numbers, or numeric strings such as DynamoDB's ``{"N": "5"}``)

Not supported (a pattern using them raises ValueError at deploy time rather than silently
mismatching): ``cidr``, ``wildcard``, ``$or``. For SQS/Kinesis the ``body``/``data`` is not decoded.
"""

from __future__ import annotations

import json
from typing import Any

_MISSING = object()
_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "exists", "anything-but", "numeric"}


def parse_filter_criteria(filter_criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of a FilterCriteria, parsed and checked; empty list = no filtering."""
    patterns = []
    for flt in (filter_criteria or {}).get("Filters") or []:
        pattern = flt.get("Pattern")
        if isinstance(pattern, str):
            pattern = json.loads(pattern)
        if not isinstance(pattern, dict):
            raise ValueError(f"filter pattern must be a JSON object: {flt!r}")
        _check(pattern)
        patterns.append(pattern)
    return patterns


def _check(pattern: dict[str, Any]) -> None:
    for key, value in pattern.items():
        if key.startswith("$"):
            raise ValueError(f"filter operator {key} is not supported locally")
        if isinstance(value, dict):
            _check(value)
        elif isinstance(value, list):
            for condition in value:
                if isinstance(condition, dict):
                    unknown = set(condition) - _OPERATORS
                    if unknown:
                        raise ValueError(f"filter operator {sorted(unknown)[0]} is not supported locally")
        else:
            raise ValueError(f"filter value for {key!r} must be an object or a list, not {value!r}")


def matches_any(patterns: list[dict[str, Any]], record: Any) -> bool:
    return not patterns or any(matches(p, record) for p in patterns)


def matches(pattern: dict[str, Any], record: Any) -> bool:
    for key, expected in pattern.items():
        actual = record.get(key, _MISSING) if isinstance(record, dict) else _MISSING
        if isinstance(expected, dict):
            if actual is _MISSING or not isinstance(actual, dict):
                # a nested pattern can still match a missing object when it only asks for absence
                if not _only_absence(expected):
                    return False
                continue
            if not matches(expected, actual):
                return False
        elif not _matches_values(expected, actual):
            return False
    return True


def _only_absence(pattern: dict[str, Any]) -> bool:
    for value in pattern.values():
        if isinstance(value, dict):
            if not _only_absence(value):
                return False
        elif not all(isinstance(c, dict) and c.get("exists") is False for c in value):
            return False
    return True


def _matches_values(conditions: list[Any], actual: Any) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    for condition in conditions:
        if isinstance(condition, dict) and "exists" in condition:
            if (actual is not _MISSING) == bool(condition["exists"]):
                return True
            continue
        if actual is _MISSING:
            continue
        if any(_matches_one(condition, value) for value in values):
            return True
    return False


def _matches_one(condition: Any, value: Any) -> bool:
    if not isinstance(condition, dict):
        return _equal(condition, value)
    if "prefix" in condition:
        return isinstance(value, str) and value.startswith(condition["prefix"])
    if "suffix" in condition:
        return isinstance(value, str) and value.endswith(condition["suffix"])
    if "equals-ignore-case" in condition:
        return isinstance(value, str) and value.lower() == str(condition["equals-ignore-case"]).lower()
    if "anything-but" in condition:
        excluded = condition["anything-but"]
        if isinstance(excluded, dict):
            return not _matches_one(excluded, value)
        excluded = excluded if isinstance(excluded, list) else [excluded]
        return not any(_equal(e, value) for e in excluded)
    if "numeric" in condition:
        return _numeric(condition["numeric"], value)
    return False


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value or (expected == value and type(expected) is type(value))
    if isinstance(expected, int | float) and not isinstance(value, str):
        return float(expected) == float(value)
    return expected == value


def _numeric(spec: list[Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    ops = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=": lambda a, b: a == b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return all(ops[spec[i]](number, float(spec[i + 1])) for i in range(0, len(spec) - 1, 2))
