"""A CloudWatch dashboard's body as the console draws it: each widget in its place on the 24-column grid,
``metric`` widgets as series of points, ``alarm`` widgets as their alarms' states, ``text`` widgets as
their text. Anything else is a labelled placeholder, never an error.

Pure: the data come through two callables (see :func:`build`), so the layout and the metric math can be
tested without an embedded AWS. Metric math (``expression`` rows) is evaluated here with the runtime's
evaluator over the widget's period grid: the embedded CloudWatch's GetMetricData only echoes a query's
id as an "expression" (see moto's ``metric_data_expression_parser``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orderflow.errors import OrderflowError
from orderflow.metric_math import (
    STANDARD_STATISTICS,
    UnsupportedExpression,
    evaluate_expression,
    is_extended_statistic,
)

GRID_COLUMNS = 24
DEFAULT_WIDTH = 6
DEFAULT_HEIGHT = 6
DEFAULT_PERIOD = 300
DEFAULT_STAT = "Average"


def supported_stat(stat: str) -> bool:
    """Whether the embedded CloudWatch's GetMetricData computes ``stat``: the standard statistics and
    the extended ones (p99, tm90, IQM, PR(:300)...: runtime/moto/cloudwatch.py's
    ``cloudwatch_extended_statistics``)."""
    return stat in STANDARD_STATISTICS or is_extended_statistic(stat)


_QUERY_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


class DashboardError(OrderflowError, ValueError):
    """The dashboard's body is not a readable dashboard document."""


@dataclass
class Row:
    """One line of a metric widget: a metric (namespace, name, dimensions) or an expression."""

    id: str
    label: str
    visible: bool
    stat: str
    period: int
    namespace: str | None = None
    name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    expression: str | None = None

    def query(self) -> dict[str, Any]:
        """This metric row as a GetMetricData MetricDataQuery."""
        metric: dict[str, Any] = {"Namespace": self.namespace, "MetricName": self.name}
        if self.dimensions:
            metric["Dimensions"] = [{"Name": k, "Value": v} for k, v in self.dimensions.items()]
        return {"Id": self.id, "MetricStat": {"Metric": metric, "Period": self.period, "Stat": self.stat}}


# fetch(queries, start epoch s, end epoch s) -> {query id: {bucket start epoch s: value}}
Fetch = Callable[[list[dict[str, Any]], int, int], Mapping[str, Mapping[int, float]]]
# alarm names -> {name: {"state", "reason", "updated"}} (an alarm that does not exist is left out)
Alarms = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]


def parse_body(body: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise DashboardError(f"the dashboard body is not JSON: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("widgets", []), list):
        raise DashboardError("the dashboard body has no widgets list")
    return parsed


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def metric_rows(properties: Mapping[str, Any]) -> tuple[list[Row], list[str]]:
    """The widget's ``metrics`` as rows, the ``...``/``.`` shorthands spelled out; plus one notice per
    entry that cannot be read (the entry is skipped)."""
    period = _int(properties.get("period"), DEFAULT_PERIOD, 1, 86400)
    stat = str(properties.get("stat") or DEFAULT_STAT)
    rows: list[Row] = []
    notices: list[str] = []
    previous: list[Any] = []
    for index, entry in enumerate(properties.get("metrics") or []):
        if not isinstance(entry, list) or not entry:
            notices.append(f"metrics[{index}] is not a metric array")
            continue
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        parts = list(entry[:-1] if options else entry)
        given_id = options.get("id")
        row_id = str(given_id) if isinstance(given_id, str) and _QUERY_ID.match(given_id) else f"m{index}"
        row_period = _int(options.get("period"), period, 1, 86400)
        row_stat = str(options.get("stat") or stat)
        visible = options.get("visible", True) is not False
        if not parts:
            expression = options.get("expression")
            if not isinstance(expression, str):
                notices.append(f"metrics[{index}] has neither a metric nor an expression")
                continue
            label = str(options.get("label") or row_id)
            rows.append(Row(row_id, label, visible, row_stat, row_period, expression=expression))
            continue
        if parts[0] == "...":
            parts = previous[: len(previous) - len(parts) + 1] + parts[1:]
        parts = [previous[i] if p == "." and i < len(previous) else p for i, p in enumerate(parts)]
        if len(parts) < 2 or len(parts) % 2 or not all(isinstance(p, str) for p in parts):
            notices.append(f"metrics[{index}] is not [namespace, name, dimension, value, ...]")
            continue
        previous = parts
        namespace, name, *pairs = parts
        dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
        label = str(options.get("label") or " ".join([name, *dimensions.values()]))
        rows.append(Row(row_id, label, visible, row_stat, row_period, namespace, name, dimensions))
    return rows, notices


def _metric_widget(properties: Mapping[str, Any], fetch: Fetch, now: int, minutes: int) -> dict[str, Any]:
    rows, notices = metric_rows(properties)
    period = _int(properties.get("period"), DEFAULT_PERIOD, 1, 86400)
    end = (now // period + 1) * period
    start = end - max(period, (minutes * 60 // period) * period)
    buckets = list(range(start, end, period))
    queries = [
        row.query()
        for row in rows
        if row.expression is None and supported_stat(row.stat) and row.period == period
    ]
    fetched = fetch(queries, start, end) if queries else {}
    series: dict[str, list[float | None]] = {}
    row_notices: dict[str, str] = {}
    for row in rows:
        if row.expression is not None:
            continue
        if not supported_stat(row.stat):
            row_notices[row.id] = f"{row.stat} is not a CloudWatch statistic"
        elif row.period != period:
            row_notices[row.id] = f"period {row.period} differs from the widget's {period}: not drawn"
        else:
            values = fetched.get(row.id) or {}
            series[row.id] = [values.get(bucket) for bucket in buckets]
    # an expression may use other expressions, above or below it: evaluate until nothing more resolves
    pending = [row for row in rows if row.expression is not None]
    while pending:
        errors: dict[str, str] = {}
        for row in pending:
            assert row.expression is not None
            try:
                series[row.id] = evaluate_expression(row.expression, series, len(buckets))
            except UnsupportedExpression as exc:
                errors[row.id] = str(exc)
        if len(errors) == len(pending):
            row_notices.update(errors)
            break
        pending = [row for row in pending if row.id in errors]
    drawn = []
    for row in rows:
        if not row.visible:
            continue
        line = series.get(row.id)
        points = [] if line is None else [[b, v] for b, v in zip(buckets, line, strict=True) if v is not None]
        drawn.append(
            {
                "id": row.id,
                "label": row.label,
                "stat": None if row.expression else row.stat,
                "expression": row.expression,
                "points": points,
                "notice": row_notices.get(row.id),
            }
        )
    return {
        "period": period,
        "start": start,
        "end": end,
        "stacked": bool(properties.get("stacked")),
        "series": drawn,
        "notices": notices,
    }


def _alarm_widget(properties: Mapping[str, Any], alarms: Alarms) -> dict[str, Any]:
    names = []
    for value in properties.get("alarms") or []:
        text = str(value)
        names.append(text.split(":alarm:", 1)[1] if ":alarm:" in text else text)
    known = alarms(names) if names else {}
    return {
        "alarms": [
            {"name": name, **known[name]} if name in known else {"name": name, "state": None, "missing": True}
            for name in names
        ]
    }


def build(
    body: str | Mapping[str, Any], fetch: Fetch, alarms: Alarms, *, now: int, minutes: int = 60
) -> list[dict[str, Any]]:
    """The widgets of ``body`` as the console draws them, each with ``type``, ``x``, ``y``, ``width``,
    ``height`` (grid units), ``title`` and its type's content; ``supported`` False for a placeholder.
    A widget without a position goes below the ones above it, left to right, as CloudWatch places it."""
    parsed = parse_body(body)
    widgets = []
    cursor_x, cursor_y, row_height = 0, 0, 0
    for index, widget in enumerate(parsed.get("widgets") or []):
        if not isinstance(widget, Mapping):
            widget = {"type": "?"}
        kind = str(widget.get("type", "?"))
        properties = widget.get("properties") if isinstance(widget.get("properties"), Mapping) else {}
        assert isinstance(properties, Mapping)
        width = _int(widget.get("width"), DEFAULT_WIDTH, 1, GRID_COLUMNS)
        height = _int(widget.get("height"), DEFAULT_HEIGHT, 1, 1000)
        if "x" in widget and "y" in widget:
            x = _int(widget.get("x"), 0, 0, GRID_COLUMNS - width)
            y = _int(widget.get("y"), 0, 0, 100_000)
        else:
            if cursor_x + width > GRID_COLUMNS:
                cursor_x, cursor_y, row_height = 0, cursor_y + row_height, 0
            x, y = cursor_x, cursor_y
        cursor_x, row_height = x + width, max(row_height, height)
        cursor_y = max(cursor_y, y)
        shown: dict[str, Any] = {
            "index": index,
            "type": kind,
            "x": x,
            "y": y,
            "width": width,
            "height": height,
            "title": str(properties.get("title") or ""),
            "supported": True,
        }
        view = properties.get("view", "timeSeries")
        if kind == "metric" and view in ("timeSeries", None):
            shown.update(_metric_widget(properties, fetch, now, minutes))
        elif kind == "alarm":
            shown.update(_alarm_widget(properties, alarms))
        elif kind == "text":
            shown["text"] = str(properties.get("markdown") or "")
        else:
            shown["supported"] = False
            what = f"{kind} widget" + (f" (view {view})" if kind == "metric" else "")
            shown["notice"] = f"{what}: not drawn by the local console"
        widgets.append(shown)
    widgets.sort(key=lambda w: (w["y"], w["x"]))
    return widgets
