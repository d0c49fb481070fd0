"""How a function's log line is echoed on the ``orderflow up`` terminal (the log files and log groups
always get the line as written).

``json`` echoes the line as the function wrote it, behind a ``[LogicalId]`` prefix. ``compact`` (the
default) turns a structured (JSON object) line, as Lambda's JSON log format and logging libraries such
as Powertools write them, into one short line::

    18:54:03.120 INFO  [ValidateOrderFunction] order validated  orderId=o-1 items=2

time (of day, UTC, from the record's ``timestamp``/``time`` when it has one), level, function,
message, then the record's own fields (``key=value``; values shortened) without the fields every
record of a logging library repeats (location, service, cold start, function name/ARN/memory,
request and trace ids, sampling rate). Other lines (plain prints, ``[ERROR]`` lines) are echoed as
written, behind the prefix.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

FORMATS = ("compact", "json")
MESSAGE_KEYS = ("message", "msg")
LEVEL_KEYS = ("level", "levelname", "log_level")
TIME_KEYS = ("timestamp", "time", "asctime")
# Fields a logging library puts on every record: they say nothing about this line.
REPEATED = frozenset(
    {
        "location",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "requestId",
        "request_id",
        "xray_trace_id",
        "sampling_rate",
        "logger",
        "name",
        "type",
    }
)
VALUE_MAX = 60
_TIME_OF_DAY = re.compile(r"(\d{2}:\d{2}:\d{2})(?:[.,](\d{1,6}))?")


def echo_line(line: str, prefix: str, log_format: str = "compact") -> str:
    """The terminal's line for ``line``, a log line of the function ``prefix`` (no newline)."""
    if log_format == "json" or not line.startswith("{"):
        return f"[{prefix}] {line}"
    try:
        record = json.loads(line)
    except ValueError:
        return f"[{prefix}] {line}"
    if not isinstance(record, dict) or not any(key in record for key in MESSAGE_KEYS):
        return f"[{prefix}] {line}"
    message = next(record[key] for key in MESSAGE_KEYS if key in record)
    level = next((str(record[key]) for key in LEVEL_KEYS if key in record), "")
    when = _time_of_day(next((record[key] for key in TIME_KEYS if key in record), None))
    used = {*MESSAGE_KEYS, *LEVEL_KEYS, *TIME_KEYS}
    fields = [f"{key}={_short(value)}" for key, value in record.items() if key not in used | REPEATED]
    text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"), default=str)
    head = " ".join(part for part in (when, f"{level.upper():<5}" if level else "") if part)
    return f"{head} [{prefix}] {text}".lstrip() + (f"  {' '.join(fields)}" if fields else "")


def _time_of_day(value: Any) -> str:
    """HH:MM:SS.mmm of an ISO-like text (as written: Lambda and Powertools write UTC) or epoch
    seconds/milliseconds; empty when there is none."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S.%f")[:12]
        except (OverflowError, OSError, ValueError):
            return ""
    match = _TIME_OF_DAY.search(str(value))
    if match is None:
        return ""
    fraction = (match.group(2) or "000").ljust(3, "0")[:3]
    return f"{match.group(1)}.{fraction}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    text = " ".join(text.split())
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"
