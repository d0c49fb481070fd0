"""What the console draws, computed from public data only: a state machine's graph from its ASL, and what
happened to each state in one execution, from its event history (GetExecutionHistory's shape, or the
records of an Express workflow's log group in the same shape, see orderflow.history).

Generic: any ASL (Task, Choice, Parallel, Map, Wait, Pass, Succeed, Fail; Catch and Retry), nothing
about any application.

Graph: ``{"nodes": [...], "edges": [...], "groups": [...]}``. A node is a state (``id`` = its path
``Outer/branch 1/Inner``, ``name``, ``type``, ``group`` the branch or iterator it sits in, or None), plus
``__start__``/``__end__`` and, after each Parallel or Map, a ``<path>/__join__`` node where its branches
meet. A group is a Parallel branch or a Map iterator (``id``, ``label``, ``parent``). An edge:
``source``, ``target``, ``kind`` (next, choice, default, catch, retry, branch, join) and ``label``.
A Retry is a self-edge labelled with its errors and MaxAttempts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from orderflow.errors import OrderflowError

START = "__start__"
END = "__end__"
JOIN = "__join__"

CONTAINER_TYPES = ("Parallel", "Map")


class DefinitionError(OrderflowError, ValueError):
    """The definition is not a readable ASL document."""


def parse_definition(definition: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, Mapping):
        return dict(definition)
    try:
        parsed = json.loads(definition)
    except ValueError as exc:
        raise DefinitionError(f"the definition is not JSON: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("States"), dict):
        raise DefinitionError("the definition has no States")
    return parsed


def _label_errors(errors: Iterable[Any]) -> str:
    return ", ".join(str(e) for e in errors) or "any"


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []

    def edge(self, source: str, target: str, kind: str, label: str = "") -> None:
        self.edges.append({"source": source, "target": target, "kind": kind, "label": label})

    def machine(self, machine: Mapping[str, Any], prefix: str, group: str | None, exit_to: str) -> str:
        """Add the states of ``machine`` (a definition, branch or iterator); the id of its StartAt
        state. A state that ends goes to ``exit_to``."""
        states = machine.get("States") or {}
        if not isinstance(states, Mapping):
            raise DefinitionError(f"States of {prefix or 'the definition'} is not an object")

        def node_id(name: str) -> str:
            return f"{prefix}{name}"

        for name, state in states.items():
            if not isinstance(state, Mapping):
                raise DefinitionError(f"state {name} is not an object")
            sid = node_id(name)
            kind = str(state.get("Type", "?"))
            self.nodes.append({"id": sid, "name": name, "type": kind, "group": group})
            after = sid
            if kind in CONTAINER_TYPES:
                join = f"{sid}/{JOIN}"
                branches: list[tuple[str, Mapping[str, Any]]] = []
                if kind == "Parallel":
                    for i, branch in enumerate(state.get("Branches") or []):
                        branches.append((f"branch {i + 1}", branch))
                else:
                    iterator = state.get("ItemProcessor") or state.get("Iterator")
                    if isinstance(iterator, Mapping):
                        branches.append(("iterator", iterator))
                for label, branch in branches:
                    gid = f"{sid}/{label}"
                    self.groups.append({"id": gid, "label": f"{name}: {label}", "parent": group})
                    first = self.machine(branch, f"{gid}/", gid, join)
                    self.edge(sid, first, "branch")
                self.nodes.append({"id": join, "name": "", "type": "Join", "group": group})
                after = join
            if kind in ("Succeed",):
                self.edge(after, exit_to, "next")
            elif kind == "Choice":
                for rule in state.get("Choices") or []:
                    if isinstance(rule, Mapping) and "Next" in rule:
                        self.edge(sid, node_id(str(rule["Next"])), "choice", _choice_label(rule))
                if "Default" in state:
                    self.edge(sid, node_id(str(state["Default"])), "default", "default")
            elif kind != "Fail":
                if "Next" in state:
                    self.edge(after, node_id(str(state["Next"])), "next")
                elif state.get("End"):
                    self.edge(after, exit_to, "next")
            for retrier in state.get("Retry") or []:
                if isinstance(retrier, Mapping):
                    label = f"retry {_label_errors(retrier.get('ErrorEquals') or [])}"
                    label += f" x{retrier.get('MaxAttempts', 3)}"
                    self.edge(sid, sid, "retry", label)
            for catcher in state.get("Catch") or []:
                if isinstance(catcher, Mapping) and "Next" in catcher:
                    label = f"catch {_label_errors(catcher.get('ErrorEquals') or [])}"
                    self.edge(sid, node_id(str(catcher["Next"])), "catch", label)
        start_at = machine.get("StartAt")
        if start_at not in states:
            raise DefinitionError(f"StartAt {start_at!r} of {prefix or 'the definition'} is not a state")
        return node_id(str(start_at))


def _choice_label(rule: Mapping[str, Any]) -> str:
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"])[:60]
    variable = rule.get("Variable", "")
    for key, value in rule.items():
        if key not in ("Variable", "Next", "Comment", "Assign", "Output"):
            if key in ("And", "Or", "Not"):
                return key.lower()
            return f"{variable} {key} {json.dumps(value)}"[:60]
    return str(rule.get("Comment", ""))[:60]


def graph(definition: str | Mapping[str, Any]) -> dict[str, Any]:
    """The graph of an ASL definition (see the module's docstring)."""
    parsed = parse_definition(definition)
    builder = _GraphBuilder()
    builder.nodes.append({"id": START, "name": "Start", "type": "Start", "group": None})
    builder.nodes.append({"id": END, "name": "End", "type": "End", "group": None})
    first = builder.machine(parsed, "", None, END)
    builder.edge(START, first, "next")
    known = {n["id"] for n in builder.nodes}
    missing = sorted({e["target"] for e in builder.edges} - known)
    if missing:
        raise DefinitionError(f"a transition goes to {missing[0]!r}, which is not a state")
    return {"nodes": builder.nodes, "edges": builder.edges, "groups": builder.groups}


# ------------------------------------------------------------------------------- outcomes


def event_details(event: Mapping[str, Any]) -> dict[str, Any]:
    """The ``...EventDetails`` of a history event (or ``details`` of a logged one)."""
    if isinstance(event.get("details"), Mapping):
        return dict(event["details"])
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return dict(value)
    return {}


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return None if value is None else str(value)


# An attempt of a task starts with one of these and ends with one of the others.
_ATTEMPT_START = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
_ATTEMPT_OK = ("TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded")
_ATTEMPT_FAIL = (
    "TaskFailed",
    "TaskTimedOut",
    "TaskStartFailed",
    "TaskSubmitFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
    "ActivityFailed",
    "ActivityTimedOut",
    "ActivityScheduleFailed",
)
_STARTED = ("TaskStarted", "LambdaFunctionStarted", "ActivityStarted")
_EXECUTION_END = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def _resource(event_type: str, details: Mapping[str, Any]) -> str | None:
    """The Lambda function (name or ARN) an attempt invokes, when the event says."""
    if event_type == "LambdaFunctionScheduled":
        return str(details.get("resource") or "") or None
    if event_type == "TaskScheduled":
        if str(details.get("resourceType", "")) != "lambda":
            return None
        try:
            parameters = json.loads(details.get("parameters") or "{}")
        except ValueError:
            return None
        name = parameters.get("FunctionName") if isinstance(parameters, dict) else None
        return str(name) if name else None
    return None


# The attempt ended before the function was invoked at all.
_NOT_INVOKED = (
    "TaskStartFailed",
    "TaskSubmitFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
)
# "RequestId: <id> Error: ..." in a Lambda error message (Runtime.ExitError, Sandbox.Timedout)
_MESSAGE_REQUEST_ID = re.compile(r"RequestId: ([0-9A-Za-z-]+)")
# "(Service: AWSLambda; Status Code: 429; Error Code: ...; Request ID: <id>; Proxy: null)": the cause
# Step Functions gives a Lambda API error (the Invoke request failed; Lambda answered, not the function)
_SERVICE_ERROR = re.compile(r"\(Service: AWSLambda; Status Code: \d+;.*Request ID: ([0-9A-Za-z-]+)")


def _json_object(text: Any) -> dict[str, Any] | None:
    if isinstance(text, Mapping):
        return dict(text)
    if not isinstance(text, str) or not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def invocation(event_type: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """Which Lambda invocation an attempt was, from the event that ended it: ``requestId`` (the
    invocation's ``aws_request_id``, the id on its START/END/REPORT log lines; None when the history
    does not say) and ``invoked`` (True: the function ran; False: the Invoke failed before it did, so
    there is no invocation; None: not known).

    - TaskSucceeded of ``lambda:invoke``: the Invoke's ``SdkResponseMetadata.RequestId`` (or its
      ``x-amzn-RequestId`` header), which is the invocation's
      (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html). A Lambda function ARN as
      the Resource gives only the function's output: no request id.
    - A function error (TaskFailed/LambdaFunctionFailed whose cause is the function's error payload): the
      payload's ``requestId`` (the Python runtime's), else ``RequestId: <id>`` in its errorMessage.
    - A Lambda API error (``Lambda.<Code>``, cause ``(Service: AWSLambda; Status Code: ...; Request ID:
      ...)``): Lambda answered the Invoke itself (throttled, not found, EC2/KMS/ENI trouble starting an
      environment... https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors),
      so the function did not run: not invoked. The Invoke's request id is still given (lines under it,
      should there be any, are still the right ones).
    """
    if event_type in _ATTEMPT_OK:
        output = _json_object(details.get("output")) or {}
        metadata = output.get("SdkResponseMetadata")
        request_id = metadata.get("RequestId") if isinstance(metadata, Mapping) else None
        if not request_id:
            http = output.get("SdkHttpMetadata")
            headers = http.get("HttpHeaders") if isinstance(http, Mapping) else None
            if isinstance(headers, Mapping):
                request_id = next(
                    (v for k, v in headers.items() if str(k).lower() == "x-amzn-requestid"), None
                )
        return {"requestId": str(request_id) if request_id else None, "invoked": True}
    if event_type in _NOT_INVOKED:
        return {"requestId": None, "invoked": False}
    cause = details.get("cause")
    payload = _json_object(cause)
    if payload is not None and ("errorType" in payload or "errorMessage" in payload):
        request_id = payload.get("requestId") or None
        if not request_id:
            found = _MESSAGE_REQUEST_ID.search(str(payload.get("errorMessage") or ""))
            request_id = found.group(1) if found else None
        return {"requestId": str(request_id) if request_id else None, "invoked": True}
    service = _SERVICE_ERROR.search(cause) if isinstance(cause, str) else None
    if service is not None and str(details.get("error") or "").startswith("Lambda."):
        return {"requestId": service.group(1), "invoked": False}
    return {"requestId": None, "invoked": None}


def outcomes(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What happened to each state, by state name, in an execution's history:

    ``{"status": execution status, "states": {name: {"status", "entered", "retries", "attempts",
    "input", "output", "error", "cause", "entered_at", "exited_at"}}}``

    A state's status: ``succeeded`` (exited without error), ``caught`` (its error went to a Catch:
    the execution went on elsewhere), ``failed`` (its error failed the execution, or a Fail state),
    ``running`` (entered, not left, the execution still running), and a state absent from the map was
    not reached. ``retries`` counts attempts after the first; each attempt has its ``start``, ``end``,
    ``status`` (succeeded, failed, running), ``error``, ``cause``, the Lambda ``function`` it ran, and
    which invocation it was: ``requestId`` and ``invoked`` (see :func:`invocation`).
    A state entered more than once (a loop, Map iterations) adds up its attempts; the last entry's
    input, output and error are shown.
    """
    ordered = sorted(events, key=lambda e: int(e.get("id", 0)))
    states: dict[str, dict[str, Any]] = {}
    # Every state entered and not exited yet, innermost last (Parallel branches interleave: by name).
    open_states: list[str] = []
    execution_status = "RUNNING"
    execution_error: dict[str, Any] = {}
    last_failed: str | None = None
    for event in ordered:
        event_type = str(event.get("type", ""))
        details = event_details(event)
        at = _time(event.get("timestamp"))
        if event_type.endswith("StateEntered"):
            name = str(details.get("name", ""))
            state = states.setdefault(
                name,
                {
                    "status": "running",
                    "type": event_type[: -len("StateEntered")],
                    "entered": 0,
                    "retries": 0,
                    "attempts": [],
                    "input": None,
                    "output": None,
                    "error": None,
                    "cause": None,
                    "entered_at": None,
                    "exited_at": None,
                },
            )
            state["entered"] += 1
            state["status"] = "running"
            state["input"] = details.get("input")
            state["entered_at"] = at
            state["exited_at"] = None
            state["error"] = state["cause"] = None
            open_states.append(name)
            if state["type"] == "Fail":
                state["status"] = "failed"
                state["error"] = details.get("error")
                state["cause"] = details.get("cause")
            continue
        if event_type.endswith("StateExited"):
            name = str(details.get("name", ""))
            exited = states.get(name)
            if exited is not None:
                exited["output"] = details.get("output")
                exited["exited_at"] = at
                if exited["status"] == "running":
                    last = exited["attempts"][-1] if exited["attempts"] else None
                    caught = exited["error"] is not None and (last is None or last["status"] == "failed")
                    exited["status"] = "caught" if caught else "succeeded"
            if name in open_states:
                open_states.remove(name)
            continue
        if event_type in _EXECUTION_END:
            execution_status = _EXECUTION_END[event_type]
            execution_error = {"error": details.get("error"), "cause": details.get("cause")}
            continue
        current = states.get(open_states[-1]) if open_states else None
        if current is None:
            continue
        if event_type in _ATTEMPT_START:
            current["attempts"].append(
                {
                    "start": at,
                    "end": None,
                    "status": "running",
                    "error": None,
                    "cause": None,
                    "function": _resource(event_type, details),
                    "requestId": None,
                    "invoked": None,
                }
            )
            current["retries"] = max(0, len(current["attempts"]) - current["entered"])
        elif event_type in _STARTED and current["attempts"]:
            current["attempts"][-1]["started"] = at
        elif event_type in _ATTEMPT_OK and current["attempts"]:
            attempt = current["attempts"][-1]
            attempt.update(end=at, status="succeeded")
            if attempt["function"]:
                attempt.update(invocation(event_type, details))
            current["error"] = current["cause"] = None
        elif event_type in _ATTEMPT_FAIL or event_type.endswith("Failed"):
            error, cause = details.get("error"), details.get("cause")
            if current["attempts"] and current["attempts"][-1]["status"] == "running":
                attempt = current["attempts"][-1]
                attempt.update(end=at, status="failed", error=error, cause=cause)
                if attempt["function"]:
                    attempt.update(invocation(event_type, details))
            current["error"], current["cause"] = error, cause
            last_failed = open_states[-1]
    # A state whose error was not retried away: caught when the execution went on, failed when the
    # error ended it (the last failing state of a failed execution), running otherwise.
    for name, state in states.items():
        if state["status"] != "running":
            continue
        last = state["attempts"][-1] if state["attempts"] else None
        failed_last = state["error"] is not None and (last is None or last["status"] == "failed")
        if execution_status == "RUNNING" and name in open_states and not failed_last:
            continue
        if execution_status in ("FAILED", "TIMED_OUT", "ABORTED") and name == last_failed:
            state["status"] = "failed"
            if state["error"] is None:
                state["error"] = execution_error.get("error")
                state["cause"] = execution_error.get("cause")
        elif failed_last:
            state["status"] = "caught"
        elif execution_status != "RUNNING":
            state["status"] = "failed" if execution_status != "SUCCEEDED" else "succeeded"
    return {"status": execution_status, "error": execution_error, "states": states}


def history_table(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The history as rows: ``id``, ``type``, ``state`` (the state the event belongs to), ``timestamp``,
    ``elapsed_ms`` since the first event, ``details`` (the event's details, JSON-ready)."""
    ordered = sorted(events, key=lambda e: int(e.get("id", 0)))
    rows: list[dict[str, Any]] = []
    first: datetime | None = None
    open_states: list[str] = []
    for event in ordered:
        details = event_details(event)
        event_type = str(event.get("type", ""))
        timestamp = event.get("timestamp")
        if first is None and isinstance(timestamp, datetime):
            first = timestamp
        elapsed = (
            round((timestamp - first).total_seconds() * 1000)
            if isinstance(timestamp, datetime) and first is not None
            else None
        )
        if event_type.endswith("StateEntered"):
            open_states.append(str(details.get("name", "")))
        state = open_states[-1] if open_states else ""
        if event_type.endswith("StateExited"):
            name = str(details.get("name", ""))
            state = name
            if name in open_states:
                open_states.remove(name)
        rows.append(
            {
                "id": int(event.get("id", 0)),
                "type": event_type,
                "state": state,
                "timestamp": _time(timestamp),
                "elapsed_ms": elapsed,
                "details": details,
            }
        )
    return rows


def last_state(events: list[dict[str, Any]]) -> str | None:
    """The name of the last state entered, from history events in any order (None: none entered)."""
    latest: dict[str, Any] | None = None
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if details and (latest is None or event["id"] > latest["id"]):
            latest = event
    return latest["stateEnteredEventDetails"].get("name") if latest else None
