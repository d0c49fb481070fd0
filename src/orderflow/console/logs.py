"""The console's log lines of one Lambda invocation, by its request id: ``invocation_logs`` answers
``GET /api/logs`` from the function's log group in the embedded CloudWatch Logs (Lambda's ``START``/
``REPORT RequestId:`` markers bound the invocation's lines), ``invocation_lines`` picks them out of one
log stream's events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .query import ConsoleError, required

MAX_LOG_LINES = 2000

_MARKER = re.compile(r"^(START|END|REPORT) RequestId: ([0-9A-Za-z-]+)")
_REQUEST_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def invocation_logs(logs: Any, query: dict[str, str]) -> dict[str, Any]:
    """The log lines of one Lambda invocation, by its request id: from the function's log group
    (``/aws/lambda/<name>``), the lines of the stream that logged ``START RequestId: <id>``, from
    that line to its ``REPORT RequestId: <id>`` (Lambda's markers; an execution environment runs
    one invocation at a time, so the lines between are that invocation's, whatever else ran at the
    same time in other environments). ``requestId`` is the attempt's, from the history (see
    ``model.invocation``); ``invoked=false`` when the history says the Invoke failed before the
    function ran. Without a request id nothing is guessed from time: the answer says why there
    are no lines. ``complete`` is false until the invocation's REPORT line is there."""
    function = required(query, "function")
    name = function.split(":function:", 1)[1].split(":")[0] if ":function:" in function else function
    group = f"/aws/lambda/{name}"
    request_id = query.get("requestId") or ""
    invoked = {"true": True, "false": False}.get(query.get("invoked", ""))
    answer: dict[str, Any] = {
        "group": group,
        "requestId": request_id or None,
        "lines": [],
        "complete": True,
    }
    if request_id and not _REQUEST_ID.fullmatch(request_id):
        raise ConsoleError(400, f"requestId is not a Lambda request id: {request_id[:60]!r}")
    if not request_id:
        if invoked is False:
            answer["notice"] = (
                f"no invocation: the attempt failed before {name} ran, so there are no log lines"
            )
        else:
            answer["notice"] = (
                f"the history does not say which invocation of {name} this attempt was (no request id: "
                "a Lambda function ARN as the Resource gives none, arn:aws:states:::lambda:invoke does), "
                f"so no lines are shown; its lines are in {group}"
            )
        return answer
    try:
        lines, complete = _invocation_lines(logs, group, request_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        lines, complete = [], False
        missing = True
    else:
        missing = False
    answer.update(lines=lines, complete=complete or invoked is False, notice=None)
    if lines and not complete:
        answer["notice"] = f"invocation {request_id} has not reported yet"
    elif not lines and invoked is False:
        answer["notice"] = (
            f"no invocation: Lambda answered the Invoke (request {request_id}) with an error, {name} "
            "did not run, so there are no log lines"
        )
    elif missing:
        answer["notice"] = (
            f"no log lines: the log group {group} does not exist in the embedded CloudWatch Logs "
            "(nothing has written the function's logs there)"
        )
    elif not lines:
        answer["notice"] = (
            f"no log lines of invocation {request_id} in {group} (yet: the runtime ships log lines "
            "to CloudWatch Logs every second)"
        )
    return answer


def _invocation_lines(logs: Any, group: str, request_id: str) -> tuple[list[dict[str, Any]], bool]:
    marked: list[dict[str, Any]] = []
    # the lines that name the request id (a quoted term: an exact phrase), to find its stream
    for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern=f'"{request_id}"'
    ):
        marked.extend(page["events"])
    start = next(
        (e for e in marked if str(e.get("message", "")).startswith(f"START RequestId: {request_id}")),
        None,
    )
    if start is None:
        return [], False
    stream = str(start.get("logStreamName", ""))
    report = next(
        (
            e
            for e in marked
            if e.get("logStreamName") == stream
            and str(e.get("message", "")).startswith(f"REPORT RequestId: {request_id}")
        ),
        None,
    )
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "logStreamNames": [stream],
        "startTime": int(start["timestamp"]),
    }
    if report is not None:
        kwargs["endTime"] = int(report["timestamp"])
    events: list[dict[str, Any]] = []
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        events.extend(page["events"])
        if len(events) > MAX_LOG_LINES:
            break
    return invocation_lines(events, request_id)


def invocation_lines(events: list[dict[str, Any]], request_id: str) -> tuple[list[dict[str, Any]], bool]:
    """The lines of invocation ``request_id`` among one log stream's FilterLogEvents events: from its
    ``START RequestId: <id>`` to its ``REPORT RequestId: <id>`` (``timestamp``, ``stream``, ``message``,
    ``requestId``), and whether its REPORT was among them. Events are taken in the stream's order (a
    stable sort by time); another invocation's START ends it (an environment that died mid-invocation)."""
    ordered = sorted(events, key=lambda e: e.get("timestamp", 0))
    lines: list[dict[str, Any]] = []
    inside = False
    for event in ordered:
        message = str(event.get("message", "")).rstrip("\n")
        match = _MARKER.match(message)
        if match and match.group(1) == "START":
            if inside and match.group(2) != request_id:
                break
            inside = inside or match.group(2) == request_id
        if not inside:
            continue
        lines.append(
            {
                "timestamp": datetime.fromtimestamp(event.get("timestamp", 0) / 1000, tz=UTC),
                "stream": str(event.get("logStreamName", "")),
                "message": message,
                "requestId": request_id,
            }
        )
        if match and match.group(1) == "REPORT" and match.group(2) == request_id:
            return lines, True
    return lines, False
