"""Writes into the embedded CloudWatch Logs and CloudWatch without an HTTP round trip.

Not a patch (moto's behaviour is unchanged): the runtime's telemetry ships function log lines and
metric data every second, and going through botocore and moto's request parsing, in the same process
that runs the executions, cost more CPU than the writes themselves. These call the same backend
methods PutLogEvents, CreateLogGroup/Stream and PutMetricData call, with what their request parsing
would hand them (``orderflow.runtime.telemetry.ApiWriter`` is the same through the public API).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends


class DirectWriter:
    """The telemetry writer of one account and region (see ``orderflow.runtime.telemetry.Writer``)."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region

    def ensure_log_stream(self, group: str, stream: str) -> None:
        backend = logs_backends[self.account_id][self.region]
        with contextlib.suppress(ResourceAlreadyExistsException):
            # an existing group (declared by the template) keeps its retention
            backend.create_log_group(group, {})
        with contextlib.suppress(ResourceAlreadyExistsException):
            backend.create_log_stream(group, stream)

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        logs_backends[self.account_id][self.region].put_log_events(group, stream, events)

    def put_metric_data(self, namespace: str, data: list[dict[str, Any]]) -> None:
        # PutMetricData's request parsing hands the backend naive UTC timestamps, and GetMetricData
        # compares its (naive) window with them: an aware one here would make that comparison raise.
        plain = [{**datum, "Timestamp": _naive_utc(datum.get("Timestamp"))} for datum in data]
        cloudwatch_backends[self.account_id][self.region].put_metric_data(namespace, plain)


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
