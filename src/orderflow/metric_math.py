"""CloudWatch metric math, as far as the local runtime evaluates it: ``FILL``, ``+ - * /``, numbers,
parentheses and ``SUM/MIN/MAX/AVG([...])`` over series of per-period values (``None`` where a period
has no data). Anything else raises :class:`UnsupportedExpression`. See the CloudWatch User Guide's
"Using metric math" for the syntax. Used by the alarm evaluator and by the console's dashboards.
"""

from __future__ import annotations

import re
from collections.abc import Callable


class UnsupportedExpression(ValueError):
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
