"""Step Functions execution histories as a readable table (``orderflow history`` and the demo)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from orderflow.arns import execution_arn
from orderflow.awsclients import CliError, client, not_running, stack_resources

STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"


def find_execution(sfn: Any, ref: str, endpoint: str, stack_name: str, region: str | None = None) -> str:
    """The execution ARN for ``ref``: an execution ARN, or an execution name (= order id)."""
    if ref.startswith("arn:"):
        try:
            sfn.describe_execution(executionArn=ref)
        except EndpointConnectionError:
            raise not_running(endpoint) from None
        except ClientError as exc:
            raise CliError(f"no execution {ref} at {endpoint} ({_code(exc)})") from None
        return ref
    machines = [
        r["PhysicalResourceId"]
        for r in stack_resources(endpoint, stack_name, region)
        if r["ResourceType"] == STATE_MACHINE_TYPE
    ]
    if not machines:
        raise CliError(f"no execution {ref!r}: stack {stack_name!r} has no state machine")
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
    raise CliError(f"no execution named {ref!r} in stack {stack_name!r} at {endpoint}")


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
        text = f"{error}: {cause}" if cause else error
        return text[:90]
    if event_type == "ExecutionSucceeded":
        try:
            output = json.loads(details.get("output") or "null")
        except ValueError:
            output = None
        if isinstance(output, dict) and "status" in output:
            reason = f" ({output['reason']})" if output.get("reason") else ""
            return f"status={output['status']}{reason}"
    return ""


def history_rows(events: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(elapsed ms, state, event type, detail) per event; elapsed from the first event."""
    if not events:
        return []
    start: datetime = events[0]["timestamp"]
    state = ""
    rows = []
    for event in sorted(events, key=lambda e: e["id"]):
        details = _details(event)
        event_type = str(event["type"])
        if event_type.endswith("StateEntered") or event_type.endswith("StateExited"):
            state = str(details.get("name") or state)
        elif event_type.startswith("Execution"):
            state = ""
        elapsed = (event["timestamp"] - start).total_seconds() * 1000
        rows.append((f"{elapsed:.0f}", state, event_type, _summary(event_type, details)))
        if event_type.endswith("StateExited"):
            state = ""
    return rows


def format_table(
    headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: tuple[int, ...] = ()
) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(tuple("-" * w for w in widths))]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def format_history(description: dict[str, Any], events: list[dict[str, Any]]) -> str:
    start, stop = description.get("startDate"), description.get("stopDate")
    took = f"{(stop - start).total_seconds() * 1000:.0f} ms" if start and stop else "running"
    title = f"execution {description.get('name')}  {description.get('status')}  ({took})"
    table = format_table(("elapsed ms", "state", "event", "detail"), history_rows(events), right=(0,))
    return f"{title}\n{table}"


def show_history(ref: str, endpoint: str, stack_name: str, region: str | None = None) -> str:
    sfn = client("stepfunctions", endpoint, region, max_attempts=1)
    try:
        arn = find_execution(sfn, ref, endpoint, stack_name, region)
        description = sfn.describe_execution(executionArn=arn)
        return format_history(description, get_history(sfn, arn))
    except EndpointConnectionError:
        raise not_running(endpoint) from None
