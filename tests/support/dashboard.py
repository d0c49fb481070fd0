"""Reading the template's CloudWatch dashboard: its body with the ``!Sub`` tokens resolved, its metrics.

A dashboard body names each metric in CloudWatch's array form
``[namespace, metric name, dimension name, value, ..., {options}]``, or a math expression as
``[{"expression": ..., "id": ...}]``; :func:`metric_rows` reads both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

DASHBOARD_TYPE = "AWS::CloudWatch::Dashboard"
SUB_TOKEN = re.compile(r"\$\{(?!!)([^}]+)\}")


def dashboard(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(logical id, properties) of the template's one dashboard."""
    [(logical_id, resource)] = [
        (name, resource)
        for name, resource in template["Resources"].items()
        if resource["Type"] == DASHBOARD_TYPE
    ]
    return logical_id, resource["Properties"]


def sub_text(value: Any) -> str:
    """The text of a ``!Sub`` (string form, the only one the dashboard uses)."""
    assert isinstance(value, dict) and set(value) == {"Fn::Sub"}, value
    text = value["Fn::Sub"]
    assert isinstance(text, str), "the dashboard body is a one-string !Sub"
    return text


def substitute(text: str, resolve: Callable[[str], str]) -> str:
    """``text`` with every ``${token}`` replaced by ``resolve(token)`` (JSON-escaped)."""
    return SUB_TOKEN.sub(lambda match: json.dumps(resolve(match.group(1)))[1:-1], text)


@dataclass
class Row:
    """One line of a metric widget: a metric or an expression."""

    widget: str  # the widget's title
    namespace: str | None = None
    name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def expression(self) -> str | None:
        return self.options.get("expression")

    @property
    def visible(self) -> bool:
        return bool(self.options.get("visible", True))


def metric_widgets(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            yield widget["properties"]


def metric_rows(body: dict[str, Any]) -> Iterator[Row]:
    for props in metric_widgets(body):
        for entry in props["metrics"]:
            options = entry[-1] if isinstance(entry[-1], dict) else {}
            parts = entry[:-1] if options else entry
            if not parts:
                yield Row(props["title"], options=options)
                continue
            # the "..." / "." shorthands repeat the row above: spelled out here, so each row stands alone
            assert all(isinstance(p, str) and p not in ("...", ".") for p in parts), entry
            namespace, name, *pairs = parts
            assert len(pairs) % 2 == 0, f"dimension without a value: {entry}"
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            yield Row(props["title"], namespace, name, dimensions, options)
