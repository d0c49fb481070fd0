"""Step Functions execution histories as a readable table (``orderflow history`` and the demo).

A STANDARD execution's history comes from GetExecutionHistory. An EXPRESS execution cannot be
described on AWS (DescribeExecution and GetExecutionHistory answer InvalidArn): its history is what the
state machine's logging configuration sent to its CloudWatch Logs log group, read back here (one JSON
record per event), as the console does.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from orderflow.arns import execution_arn
from orderflow.awsclients import client, not_running, stack_resources
from orderflow.errors import OrderflowError

STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"


def is_express_arn(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 7 and parts[2] == "states" and parts[5] == "express"


def stack_state_machines(endpoint: str, stack_name: str, region: str | None = None) -> list[str]:
    return [
        r["PhysicalResourceId"]
        for r in stack_resources(endpoint, stack_name, region)
        if r["ResourceType"] == STATE_MACHINE_TYPE
    ]


def log_group_of(machine: dict[str, Any]) -> str | None:
    """The log group name of a described state machine's logging configuration (None: not logged)."""
    logging = machine.get("loggingConfiguration") or {}
    if logging.get("level", "OFF") == "OFF":
        return None
    for destination in logging.get("destinations") or []:
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or ""
        if ":log-group:" in arn:
            return str(arn.split(":log-group:", 1)[1].split(":")[0])
    return None


def details_key(event_type: str) -> str:
    """The key GetExecutionHistory gives an event's details: ``TaskScheduled`` ->
    ``taskScheduledEventDetails``; every ``…StateEntered``/``…StateExited`` shares
    ``stateEnteredEventDetails``/``stateExitedEventDetails``."""
    for suffix in ("StateEntered", "StateExited"):
        if event_type.endswith(suffix):
            return f"state{suffix[5:]}EventDetails"
    return f"{event_type[:1].lower()}{event_type[1:]}EventDetails"


def logged_executions(logs: Any, group: str) -> dict[str, list[dict[str, Any]]]:
    """Execution ARN -> its events, from the log group's records, in GetExecutionHistory's shape
    (``id``, ``previousEventId``, ``type``, ``timestamp`` and the details under the key
    GetExecutionHistory uses, see details_key), so one reader serves both."""
    executions: dict[str, list[dict[str, Any]]] = {}
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            try:
                record = json.loads(event["message"])
                event_type = str(record["type"])
                executions.setdefault(str(record["execution_arn"]), []).append(
                    {
                        "id": int(record["id"]),
                        "previousEventId": int(record.get("previous_event_id") or 0),
                        "type": event_type,
                        "timestamp": datetime.fromtimestamp(int(record["event_timestamp"]) / 1000, tz=UTC),
                        details_key(event_type): record.get("details") or {},
                    }
                )
            except (ValueError, KeyError, TypeError):
                continue  # not a Step Functions record
    for events in executions.values():
        events.sort(key=lambda e: e["id"])
    return executions


ENDINGS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def logged_description(arn: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What DescribeExecution would say, from the logged events (RUNNING until an ending is logged)."""
    ending = next((ENDINGS[e["type"]] for e in reversed(events) if e["type"] in ENDINGS), None)
    description: dict[str, Any] = {
        "executionArn": arn,
        "name": arn.split(":")[7],
        "status": ending or "RUNNING",
    }
    if events:
        description["startDate"] = events[0]["timestamp"]
        if ending:
            description["stopDate"] = events[-1]["timestamp"]
    return description


def express_history(
    sfn: Any, logs: Any, machine_arn: str, ref: str, endpoint: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The latest EXPRESS execution named (or with the ARN) ``ref`` of ``machine_arn``, from its log
    group; OrderflowError when the machine logs nothing or the log has no such execution."""
    machine = sfn.describe_state_machine(stateMachineArn=machine_arn)
    group = log_group_of(machine)
    if group is None:
        raise OrderflowError(
            f"{machine['name']} is an EXPRESS state machine without logging: its executions cannot be "
            "described (set the state machine's Logging to a log group, Level ALL)"
        )
    executions = logged_executions(logs, group)
    if is_express_arn(ref):
        matches = [ref] if ref in executions else []
    else:
        matches = [arn for arn in executions if arn.split(":")[7] == ref]
    if not matches:
        raise OrderflowError(f"no execution {ref!r} in log group {group} at {endpoint}")
    # An Express name is no idempotency key: the same name can run more than once; show the latest.
    arn = max(matches, key=lambda a: executions[a][0]["timestamp"])
    return logged_description(arn, executions[arn]), executions[arn]


def find_execution(sfn: Any, ref: str, endpoint: str, stack_name: str, machines: Sequence[str]) -> str:
    """The execution ARN for ``ref``: an execution ARN, or an execution name (= order id) of one of
    the stack's state ``machines``."""
    if ref.startswith("arn:"):
        try:
            sfn.describe_execution(executionArn=ref)
        except EndpointConnectionError:
            raise not_running(endpoint) from None
        except ClientError as exc:
            raise OrderflowError(f"no execution {ref} at {endpoint} ({_code(exc)})") from None
        return ref
    if not machines:
        raise OrderflowError(f"no execution {ref!r}: stack {stack_name!r} has no state machine")
    for machine_arn in machines:
        candidate = execution_arn(machine_arn, ref)
        try:
            sfn.describe_execution(executionArn=candidate)
            return candidate
        except ClientError:
            pass
        # Names are unique per state machine; fall back to a listing in case ARNs differ in shape.
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine_arn):
            for execution in page["executions"]:
                if execution["name"] == ref:
                    return str(execution["executionArn"])
    raise OrderflowError(f"no execution named {ref!r} in stack {stack_name!r} at {endpoint}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))


def get_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _summary(event_type: str, details: dict[str, Any]) -> str:
    if "error" in details or "cause" in details:
        error = details.get("error") or ""
        cause = str(details.get("cause") or "")
        try:
            parsed = json.loads(cause)
            if isinstance(parsed, dict):
                cause = str(parsed.get("errorMessage") or parsed.get("Cause") or cause)
        except ValueError:
            pass
        return f"{error}: {cause}" if cause else str(error)
    if event_type == "ExecutionSucceeded":
        try:
            output = json.loads(details.get("output") or "null")
        except ValueError:
            output = None
        if isinstance(output, dict) and "status" in output:
            reason = f" ({output['reason']})" if output.get("reason") else ""
            return f"status={output['status']}{reason}"
    return ""


ATTEMPT_STARTS = ("Scheduled",)  # a task's attempt begins with its *Scheduled event
ATTEMPT_EVENTS = ("Scheduled", "Started", "Succeeded", "Failed", "TimedOut", "SubmitFailed", "StartFailed")


def history_rows(events: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """(elapsed ms, state, attempt, event type, detail) per event; elapsed from the first event. A
    task's attempt (1, 2, ... as its Retry runs it again) is numbered on its task events."""
    if not events:
        return []
    start: datetime = events[0]["timestamp"]
    state = ""
    attempts: dict[str, int] = {}
    rows = []
    for event in sorted(events, key=lambda e: e["id"]):
        details = _details(event)
        event_type = str(event["type"])
        if event_type.endswith("StateEntered") or event_type.endswith("StateExited"):
            state = str(details.get("name") or state)
        elif event_type.startswith("Execution"):
            state = ""
        attempt = ""
        if not event_type.startswith(("Execution", "Map", "Parallel")) and event_type.endswith(
            ATTEMPT_EVENTS
        ):
            if event_type.endswith(ATTEMPT_STARTS):
                attempts[state] = attempts.get(state, 0) + 1
            attempt = str(attempts.get(state, 1))
        if event_type.endswith("StateEntered"):
            attempts.pop(state, None)  # entered again (a loop): its attempts count anew
        elapsed = (event["timestamp"] - start).total_seconds() * 1000
        rows.append((f"{elapsed:.0f}", state, attempt, event_type, _summary(event_type, details)))
        if event_type.endswith("StateExited"):
            state = ""
    return rows


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` (its own line breaks kept); never cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width, break_long_words=True, break_on_hyphens=False) or [""])
    return lines


def format_table(
    headers: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    right: tuple[int, ...] = (),
    width: int | None = None,
) -> str:
    """A text table; the last column wraps to fit ``width`` (default: the terminal's; at least 30
    characters), continued on the following lines under itself."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    total = width if width is not None else shutil.get_terminal_size((120, 24)).columns
    indent = sum(widths[:-1]) + 2 * (len(widths) - 1)
    last = max(30, total - indent)
    widths[-1] = min(widths[-1], last) if rows else widths[-1]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(tuple("-" * w for w in widths))]
    for row in rows:
        wrapped = _wrap(row[-1], last)
        out.append(line((*row[:-1], wrapped[0])))
        out.extend((" " * indent + more).rstrip() for more in wrapped[1:])
    return "\n".join(out)


def format_history(
    description: dict[str, Any], events: list[dict[str, Any]], width: int | None = None
) -> str:
    start, stop = description.get("startDate"), description.get("stopDate")
    took = f"{(stop - start).total_seconds() * 1000:.0f} ms" if start and stop else "running"
    title = f"execution {description.get('name')}  {description.get('status')}  ({took})"
    if description.get("error") or description.get("cause"):
        title += "\n" + "\n".join(
            _wrap(f"{description.get('error') or ''}: {description.get('cause') or ''}", width or 100)
        )
    table = format_table(
        ("elapsed ms", "state", "attempt", "event", "detail"), history_rows(events), right=(0, 2), width=width
    )
    return f"{title}\n{table}"


def history_json(description: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The execution (DescribeExecution's fields) and its events, as JSON (timestamps ISO 8601)."""
    description = {k: v for k, v in description.items() if k != "ResponseMetadata"}
    rows = history_rows(events)
    annotated = []
    for event, row in zip(sorted(events, key=lambda e: e["id"]), rows, strict=True):
        item = dict(event)
        item["state"] = row[1] or None
        item["attempt"] = int(row[2]) if row[2] else None
        annotated.append(item)
    return json.dumps({"execution": description, "events": annotated}, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def load_history(
    ref: str, endpoint: str, stack_name: str, region: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The execution ``ref`` (order id / name or ARN) described, and its events."""
    sfn = client("stepfunctions", endpoint, region, max_attempts=1)
    try:
        # the stack's state machines, read once (an ARN names its own)
        machines = [] if ref.startswith("arn:") else stack_state_machines(endpoint, stack_name, region)
        express = _express_machine(sfn, ref, machines)
        if express is not None:
            logs = client("logs", endpoint, region, max_attempts=1)
            return express_history(sfn, logs, express, ref, endpoint)
        arn = find_execution(sfn, ref, endpoint, stack_name, machines)
        description = sfn.describe_execution(executionArn=arn)
        return description, get_history(sfn, arn)
    except EndpointConnectionError:
        raise not_running(endpoint) from None


def show_history(
    ref: str, endpoint: str, stack_name: str, region: str | None = None, *, as_json: bool = False
) -> str:
    description, events = load_history(ref, endpoint, stack_name, region)
    return history_json(description, events) if as_json else format_history(description, events)


def _express_machine(sfn: Any, ref: str, machines: Sequence[str]) -> str | None:
    """The EXPRESS state machine ``ref`` belongs to: the one an express ARN names, else the stack's
    state machine when it is EXPRESS (None: STANDARD, read through GetExecutionHistory)."""
    if is_express_arn(ref):
        parts = ref.split(":")
        return ":".join([*parts[:5], "stateMachine", parts[6]])
    if ref.startswith("arn:"):
        return None
    for machine_arn in machines:
        try:
            machine = sfn.describe_state_machine(stateMachineArn=machine_arn)
        except ClientError:
            continue
        if machine.get("type") == "EXPRESS":
            return str(machine_arn)
    return None
