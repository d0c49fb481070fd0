"""CloudWatch metric math, as far as the local runtime evaluates it: ``FILL``, ``+ - * /``, numbers,
parentheses and ``SUM/MIN/MAX/AVG([...])`` over series of per-period values (``None`` where a period
has no data). Anything else raises :class:`UnsupportedExpression`. See the CloudWatch User Guide's
"Using metric math" for the syntax. Used by the alarm evaluator and by the console's dashboards.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from orderflow.errors import OrderflowError


class UnsupportedExpression(OrderflowError, ValueError):
    """A metric-math expression this evaluator does not implement (the alarm stays INSUFFICIENT_DATA)."""


Series = list[float | None]
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")
_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "MIN": min,
    "MAX": max,
    "AVG": lambda values: sum(values) / len(values),
}


def evaluate_expression(expression: str, series: dict[str, Series], length: int) -> Series:
    """Evaluate ``expression`` over equally long series (None = no datapoint in that period)."""
    tokens: list[tuple[str, str]] = []
    for number, name, other in _TOKEN.findall(expression):
        if number:
            tokens.append(("num", number))
        elif name:
            tokens.append(("name", name))
        elif other.strip():
            tokens.append(("op", other))
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> tuple[str, str]:
        nonlocal position
        token = peek()
        if token is None or (expected is not None and token[1] != expected):
            raise UnsupportedExpression(f"cannot parse {expression!r}")
        position += 1
        return token

    def combine(left: Series, right: Series, op: str) -> Series:
        out: Series = []
        for a, b in zip(left, right, strict=True):
            if a is None or b is None:
                out.append(None)
            elif op == "+":
                out.append(a + b)
            elif op == "-":
                out.append(a - b)
            elif op == "*":
                out.append(a * b)
            else:
                out.append(a / b if b else None)
        return out

    def sum_expr() -> Series:
        value = product()
        while (token := peek()) is not None and token[1] in "+-":
            take()
            value = combine(value, product(), token[1])
        return value

    def product() -> Series:
        value = unary()
        while (token := peek()) is not None and token[1] in "*/":
            take()
            value = combine(value, unary(), token[1])
        return value

    def unary() -> Series:
        token = peek()
        if token is not None and token[1] == "-":
            take()
            return [None if v is None else -v for v in unary()]
        return atom()

    def atom() -> Series:
        token = take()
        kind, text = token
        if kind == "num":
            return [float(text)] * length
        if text == "(":
            value = sum_expr()
            take(")")
            return value
        if kind != "name":
            raise UnsupportedExpression(f"cannot parse {expression!r}")
        nxt = peek()
        if nxt is None or nxt[1] != "(":
            if text not in series:
                raise UnsupportedExpression(f"{expression!r} names {text!r}, which is no metric of the alarm")
            return list(series[text])
        take("(")
        function = text.upper()
        if function == "FILL":
            value = sum_expr()
            take(",")
            fill = take()
            if fill[0] != "num":
                raise UnsupportedExpression(f"FILL with {fill[1]} is not supported locally (a number only)")
            take(")")
            return [float(fill[1]) if v is None else v for v in value]
        if function in _AGGREGATES:
            take("[")
            items = [sum_expr()]
            while (sep := peek()) is not None and sep[1] == ",":
                take()
                items.append(sum_expr())
            take("]")
            take(")")
            aggregate = _AGGREGATES[function]
            out: Series = []
            for values in zip(*items, strict=True):
                present = [v for v in values if v is not None]
                out.append(float(aggregate(present)) if present else None)
            return out
        raise UnsupportedExpression(f"metric-math function {function} is not supported locally")

    value = sum_expr()
    if peek() is not None:
        raise UnsupportedExpression(f"cannot parse {expression!r}")
    return value


# ------------------------------------------------------------------------------ extended statistics

# CloudWatch's statistics beyond Sum/Average/Minimum/Maximum/SampleCount, as the CloudWatch User Guide
# defines them ("CloudWatch statistics definitions",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
# pNN (percentile), tmNN / TM(a:b) (trimmed mean), wmNN / WM(a:b) (winsorized mean), tcNN / TC(a:b)
# (trimmed count), tsNN / TS(a:b) (trimmed sum), PR(a:b) (percentile rank) and IQM (= TM(25%:75%)).
# The shorthand ``tm90`` keeps the lowest 90 %; bounds in parentheses are percentages with ``%``
# and absolute values without.
_SHORTHAND = re.compile(r"^(p|tm|wm|tc|ts)(\d{1,2}(?:\.\d{1,10})?|100)$")
_RANGE = re.compile(r"^(TM|WM|TC|TS|PR)\(([^:()]*):([^:()]*)\)$")
STANDARD_STATISTICS = frozenset({"Sum", "Average", "Minimum", "Maximum", "SampleCount"})


def is_extended_statistic(stat: str) -> bool:
    return stat == "IQM" or bool(_SHORTHAND.match(stat) or _RANGE.match(stat))


def _percentile(ordered: list[float], percent: float) -> float:
    """Nearest rank: the smallest value with at least ``percent`` % of the values at or below it."""
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def extended_statistic(values: list[float], stat: str) -> float | None:
    """``stat`` of ``values`` (None: no values, or no value in the statistic's range);
    UnsupportedExpression for a name CloudWatch does not define."""
    if not values:
        return None
    ordered = sorted(values)
    if stat == "IQM":
        stat = "TM(25%:75%)"
    short = _SHORTHAND.match(stat)
    if short:
        kind, bound = short.group(1), float(short.group(2))
        if kind == "p":
            return _percentile(ordered, bound)
        return _ranged(kind.upper(), ordered, ("0%", f"{bound}%"))
    ranged = _RANGE.match(stat)
    if ranged:
        return _ranged(ranged.group(1), ordered, (ranged.group(2).strip(), ranged.group(3).strip()))
    raise UnsupportedExpression(f"statistic {stat} is not a CloudWatch statistic")


def _ranged(kind: str, ordered: list[float], bounds: tuple[str, str]) -> float | None:
    n = len(ordered)
    low_text, high_text = bounds
    if kind == "PR":  # the share of values in (low, high], absolute bounds
        low = float(low_text) if low_text else -math.inf
        high = float(high_text) if high_text else math.inf
        return 100.0 * sum(1 for v in ordered if low < v <= high) / n
    percent = low_text.endswith("%") or high_text.endswith("%")
    if percent:  # by rank: drop the lowest low % and the values above the high %
        low_p = float(low_text.rstrip("%") or 0)
        high_p = float(high_text.rstrip("%") or 100)
        start, stop = math.floor(n * low_p / 100), math.ceil(n * high_p / 100)
        kept = ordered[start:stop]
        low_edge, high_edge = (kept[0], kept[-1]) if kept else (math.nan, math.nan)
    else:  # absolute bounds: values in (low, high]
        low = float(low_text) if low_text else -math.inf
        high = float(high_text) if high_text else math.inf
        kept = [v for v in ordered if low < v <= high]
        low_edge, high_edge = low, high
    if kind == "TC":
        return float(len(kept))
    if not kept:
        return None
    if kind == "TS":
        return sum(kept)
    if kind == "TM":
        return sum(kept) / len(kept)
    # WM: the values outside the bounds count as the bound's edge value
    clipped = [min(max(v, low_edge), high_edge) for v in ordered]
    return sum(clipped) / n
