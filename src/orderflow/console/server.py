"""The web console of ``orderflow up``: static HTML/JS/CSS (every asset in this package, nothing from a
CDN) and a small JSON API under ``/api/``, built from the embedded AWS's public APIs (boto3 clients
against its endpoint). Generic: it reads whatever stack, state machines, tables and queues are there.

Two things a public API cannot give come from the runtime as callables: the SES outbox and a peek at a
queue's messages (SQS has no peek: a receive counts towards a redrive policy's maxReceiveCount).

Browsers: the console is same-origin with its own API, so its page works; every other origin is
refused (403, JSON), as are requests a browser marks as cross-site or same-site (``Sec-Fetch-Site``), and
a ``Host`` that is not this server's (DNS rebinding). The one call that changes something (starting an
execution, ``POST /api/start``) also needs the ``X-Console-Token`` header with the per-run token the
console's page carries in its HTML (a form on another site cannot set a header).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.history import is_express_arn, log_group_of, logged_description, logged_executions
from orderflow.wsgi_server import Limits, WsgiServer

from . import dashboards, model

log = logging.getLogger("orderflow.console")

TOKEN_HEADER = "X-Console-Token"  # noqa: S105 - the name of a header, not a secret
_TOKEN_ENVIRON = "HTTP_" + TOKEN_HEADER.upper().replace("-", "_")
_OTHER_SITES = frozenset({"cross-site", "same-site"})
_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "vendor/dagre.min.js": "text/javascript; charset=utf-8",
}
MAX_PAGE = 100
MAX_LOG_LINES = 2000
LOG_SLACK_MS = 50  # a Lambda's log lines are stamped a little before/after the task's events
# An invocation of the attempt starts after its TaskScheduled (both stamped to the millisecond): a
# START further before it belongs to an earlier invocation (another execution's, close in time).
START_TOLERANCE_MS = 2


class ConsoleError(Exception):
    """A request the console cannot answer: ``status`` and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ConsoleSources:
    """Where the console reads from: the embedded AWS's endpoint, plus what no public API gives."""

    endpoint_url: str
    region: str
    stack_name: str
    outbox: Callable[[], list[dict[str, Any]]] | None = None
    # queue name, limit -> messages (None: no such queue); see orderflow.runtime.moto.sqs
    peek_queue: Callable[[str, int], list[dict[str, Any]] | None] | None = None
    # state machine name -> the mock config's test case names (empty: no mock config loaded)
    test_cases: Callable[[], dict[str, list[str]]] = field(default=lambda: {})


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def _int(query: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConsoleError(400, f"{key} must be an integer, not {raw[:40]!r}") from None
    return max(low, min(high, value))


def _required(query: dict[str, str], key: str) -> str:
    value = query.get(key, "")
    if not value:
        raise ConsoleError(400, f"missing query parameter {key}")
    return value


class ConsoleApi:
    """The JSON API: ``handle(method, path, query, body)`` -> (status, answer)."""

    def __init__(self, sources: ConsoleSources) -> None:
        self.sources = sources
        self._clients: dict[str, Any] = {}  # made on first use: not on the runtime's start-up path
        self._clients_lock = threading.Lock()
        self._routes: dict[tuple[str, str], Callable[..., Any]] = {
            ("GET", "/api/overview"): self.overview,
            ("GET", "/api/executions"): self.executions,
            ("GET", "/api/execution"): self.execution,
            ("GET", "/api/logs"): self.logs,
            ("POST", "/api/start"): self.start,
            ("GET", "/api/resources"): self.resources,
            ("GET", "/api/tables"): self.tables,
            ("GET", "/api/items"): self.items,
            ("GET", "/api/queues"): self.queues,
            ("GET", "/api/messages"): self.messages,
            ("GET", "/api/outbox"): self.outbox,
            ("GET", "/api/alarms"): self.alarms,
            ("GET", "/api/dashboards"): self.dashboards,
            ("GET", "/api/dashboard"): self.dashboard,
        }

    def client(self, service: str) -> Any:
        with self._clients_lock:
            client = self._clients.get(service)
            if client is None:
                session = boto3.session.Session(
                    aws_access_key_id="console",
                    aws_secret_access_key="console",  # noqa: S106 - the embedded AWS checks no credentials
                    region_name=self.sources.region,
                )
                config = Config(
                    retries={"max_attempts": 1}, inject_host_prefix=False, max_pool_connections=20
                )
                client = session.client(service, endpoint_url=self.sources.endpoint_url, config=config)
                self._clients[service] = client
            return client

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        route = self._routes.get((method, path))
        if route is None:
            if any(p == path for _, p in self._routes):
                return 405, {"message": f"{method} not allowed on {path}"}
            return 404, {"message": f"no such console API: {path}"}
        try:
            if method == "POST":
                return 200, route(query, body)
            return 200, route(query)
        except ConsoleError as exc:
            return exc.status, {"message": str(exc)}
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            return (status if 400 <= status < 500 else 502), {
                "message": f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
            }

    # ------------------------------------------------------------------------- state machines

    def _machines(self) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        machines = []
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                machines.append(
                    {"arn": machine["stateMachineArn"], "name": machine["name"], "type": machine.get("type")}
                )
        return machines

    def overview(self, query: dict[str, str]) -> dict[str, Any]:
        return {
            "stack": self.sources.stack_name,
            "region": self.sources.region,
            "endpoint": self.sources.endpoint_url,
            "machines": self._machines(),
            "testCases": self.sources.test_cases(),
        }

    def executions(self, query: dict[str, str]) -> dict[str, Any]:
        arn = _required(query, "machine")
        status = query.get("status") or None
        limit = _int(query, "limit", 25, 1, MAX_PAGE)
        sfn = self.client("stepfunctions")
        machine = sfn.describe_state_machine(stateMachineArn=arn)
        if machine.get("type") == "EXPRESS":
            return self._express_executions(machine, status, limit, query.get("next") or "")
        kwargs: dict[str, Any] = {"stateMachineArn": arn, "maxResults": limit}
        if status:
            kwargs["statusFilter"] = status
        if query.get("next"):
            kwargs["nextToken"] = query["next"]
        page = sfn.list_executions(**kwargs)
        return {
            "machine": {"arn": arn, "name": machine["name"], "type": machine.get("type")},
            "executions": [
                {k: e.get(k) for k in ("executionArn", "name", "status", "startDate", "stopDate")}
                for e in page["executions"]
            ],
            "next": page.get("nextToken"),
        }

    def _express_executions(
        self, machine: dict[str, Any], status: str | None, limit: int, token: str
    ) -> dict[str, Any]:
        group = log_group_of(machine)
        described = {"arn": machine["stateMachineArn"], "name": machine["name"], "type": "EXPRESS"}
        if group is None:
            return {
                "machine": described,
                "executions": [],
                "next": None,
                "notice": f"{machine['name']} is an EXPRESS state machine without logging: its executions "
                "cannot be listed or described (set its Logging to a log group, Level ALL)",
            }
        try:
            logged = logged_executions(self.client("logs"), group)
        except ClientError:
            logged = {}
        rows = [logged_description(arn, events) for arn, events in logged.items()]
        if status:
            rows = [r for r in rows if r["status"] == status]
        rows.sort(key=lambda r: r.get("startDate") or datetime.min.replace(tzinfo=UTC), reverse=True)
        offset = int(token) if token.isdigit() else 0
        page = rows[offset : offset + limit]
        return {
            "machine": described,
            "executions": page,
            "next": str(offset + limit) if offset + limit < len(rows) else None,
            "notice": f"EXPRESS: executions read from the log group {group}",
        }

    def execution(self, query: dict[str, str]) -> dict[str, Any]:
        arn = _required(query, "arn")
        sfn = self.client("stepfunctions")
        if is_express_arn(arn):
            parts = arn.split(":")
            machine_arn = ":".join([*parts[:5], "stateMachine", parts[6]])
            machine = sfn.describe_state_machine(stateMachineArn=machine_arn)
            group = log_group_of(machine)
            if group is None:
                raise ConsoleError(
                    404,
                    f"{machine['name']} is an EXPRESS state machine without logging: its executions "
                    "cannot be described",
                )
            events = logged_executions(self.client("logs"), group).get(arn)
            if events is None:
                raise ConsoleError(404, f"no execution {arn} in the log group {group}")
            description = logged_description(arn, events)
            level = (machine.get("loggingConfiguration") or {}).get("level", "OFF")
            if level != "ALL":
                notice = (
                    f"EXPRESS execution read from the log group {group}, which logs at level {level}: only "
                    "those events are known, so states may show as not reached (log at level ALL for all)"
                )
            else:
                notice = f"EXPRESS execution read from the log group {group}"
            for event in events:
                details = model.event_details(event)
                if event["type"] == "ExecutionStarted":
                    description["input"] = details.get("input")
                elif event["type"] in ("ExecutionSucceeded",):
                    description["output"] = details.get("output")
        else:
            notice = None
            description = sfn.describe_execution(executionArn=arn)
            description.pop("ResponseMetadata", None)
            machine = sfn.describe_state_machine_for_execution(executionArn=arn)
            events = []
            for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
                events.extend(page["events"])
        try:
            drawn: dict[str, Any] | None = model.graph(machine["definition"])
            graph_error = None
        except model.DefinitionError as exc:
            drawn, graph_error = None, str(exc)
        return {
            "execution": description,
            "machine": {
                "arn": machine.get("stateMachineArn"),
                "name": machine.get("name"),
                "type": machine.get("type", "STANDARD"),
            },
            "graph": drawn,
            "graphError": graph_error,
            "notice": notice,
            "outcome": model.outcomes(events),
            "history": model.history_table(events),
        }

    def logs(self, query: dict[str, str]) -> dict[str, Any]:
        """The log lines of a Lambda invocation: the function's log group (``/aws/lambda/<name>``)
        between ``start`` and ``end`` (ISO times of the task's attempt; the history carries no request
        id). Where the lines have Lambda's ``START/END/REPORT RequestId: <id>`` markers, each line is
        given its invocation's request id, and the lines of invocations that started outside the
        window (another execution's, overlapping it) are left out."""
        function = _required(query, "function")
        name = function.split(":function:", 1)[1].split(":")[0] if ":function:" in function else function
        group = f"/aws/lambda/{name}"
        try:
            start = datetime.fromisoformat(_required(query, "start"))
            end = datetime.fromisoformat(query.get("end") or datetime.now(UTC).isoformat())
        except ValueError:
            raise ConsoleError(400, "start and end must be ISO 8601 times") from None
        start_ms = int(start.timestamp() * 1000) - LOG_SLACK_MS
        end_ms = int(end.timestamp() * 1000) + LOG_SLACK_MS
        logs = self.client("logs")
        try:
            events: list[dict[str, Any]] = []
            for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=start_ms, endTime=end_ms
            ):
                events.extend(page["events"])
                if len(events) > MAX_LOG_LINES:
                    break
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {
                    "group": group,
                    "lines": [],
                    "notice": f"no log lines: the log group {group} does not exist in the embedded "
                    "CloudWatch Logs (nothing has written the function's logs there)",
                }
            raise
        lines = invocation_lines(events, not_before_ms=int(start.timestamp() * 1000) - START_TOLERANCE_MS)
        notice = None if lines else f"no log lines in {group} during this attempt"
        return {"group": group, "lines": lines, "notice": notice}

    def start(self, query: dict[str, str], body: bytes) -> dict[str, Any]:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise ConsoleError(400, "the request body is not JSON") from None
        if not isinstance(request, dict):
            raise ConsoleError(400, "the request body must be a JSON object")
        machine = str(request.get("machine") or "")
        if not machine.startswith("arn:"):
            raise ConsoleError(400, "machine must be a state machine ARN")
        raw_input = request.get("input")
        text = "{}" if raw_input in (None, "") else str(raw_input)
        try:
            json.loads(text)
        except ValueError as exc:
            raise ConsoleError(400, f"the input is not JSON: {exc}") from None
        arn = machine
        test_case = str(request.get("testCase") or "")
        if test_case:
            arn = f"{machine}#{test_case}"
        kwargs: dict[str, Any] = {"stateMachineArn": arn, "input": text}
        if request.get("name"):
            kwargs["name"] = str(request["name"])
        sfn = self.client("stepfunctions")
        described = sfn.describe_state_machine(stateMachineArn=machine)
        if described.get("type") == "EXPRESS":
            result = sfn.start_sync_execution(**kwargs)
        else:
            result = sfn.start_execution(**kwargs)
        result.pop("ResponseMetadata", None)
        return dict(result)

    # -------------------------------------------------------------------------------- resources

    def resources(self, query: dict[str, str]) -> dict[str, Any]:
        cfn = self.client("cloudformation")
        described = cfn.describe_stack_resources(StackName=self.sources.stack_name)["StackResources"]
        return {
            "stack": self.sources.stack_name,
            "resources": [
                {
                    "logicalId": r["LogicalResourceId"],
                    "type": r["ResourceType"],
                    "physicalId": r.get("PhysicalResourceId"),
                    "status": r.get("ResourceStatus"),
                }
                for r in sorted(described, key=lambda r: (r["ResourceType"], r["LogicalResourceId"]))
            ],
        }

    def tables(self, query: dict[str, str]) -> dict[str, Any]:
        dynamodb = self.client("dynamodb")
        tables = []
        for page in dynamodb.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                table = dynamodb.describe_table(TableName=name)["Table"]
                tables.append(
                    {
                        "name": name,
                        "itemCount": table.get("ItemCount", 0),
                        "keys": [k["AttributeName"] for k in table.get("KeySchema", [])],
                        "status": table.get("TableStatus"),
                    }
                )
        return {"tables": tables}

    def items(self, query: dict[str, str]) -> dict[str, Any]:
        name = _required(query, "table")
        limit = _int(query, "limit", 25, 1, MAX_PAGE)
        kwargs: dict[str, Any] = {"TableName": name, "Limit": limit}
        if query.get("next"):
            try:
                kwargs["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(query["next"]))
            except ValueError:
                raise ConsoleError(400, "next is not a page token of this API") from None
        page = self.client("dynamodb").scan(**kwargs)
        last = page.get("LastEvaluatedKey")
        return {
            "table": name,
            "items": [_plain_item(item) for item in page.get("Items", [])],
            "next": base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None,
        }

    def queues(self, query: dict[str, str]) -> dict[str, Any]:
        sqs = self.client("sqs")
        urls = sqs.list_queues().get("QueueUrls", [])
        queues = []
        for url in sorted(urls):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            queues.append(
                {
                    "url": url,
                    "name": url.rsplit("/", 1)[-1],
                    "depth": int(attributes.get("ApproximateNumberOfMessages", 0)),
                    "inFlight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                    "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
                    "redrive": attributes.get("RedrivePolicy"),
                }
            )
        return {"queues": queues}

    def messages(self, query: dict[str, str]) -> dict[str, Any]:
        name = _required(query, "queue").rsplit("/", 1)[-1]
        limit = _int(query, "limit", 50, 1, MAX_PAGE)
        if self.sources.peek_queue is None:
            return {"queue": name, "messages": [], "notice": "peeking is not available"}
        messages = self.sources.peek_queue(name, limit)
        if messages is None:
            raise ConsoleError(404, f"no queue {name}")
        return {"queue": name, "messages": messages}

    def outbox(self, query: dict[str, str]) -> dict[str, Any]:
        if self.sources.outbox is None:
            return {"mails": [], "notice": "no outbox"}
        return {"mails": list(reversed(self.sources.outbox()))}

    def alarms(self, query: dict[str, str]) -> dict[str, Any]:
        cloudwatch = self.client("cloudwatch")
        alarms = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate():
            for alarm in page.get("MetricAlarms", []):
                alarms.append(
                    {
                        "name": alarm["AlarmName"],
                        "state": alarm.get("StateValue"),
                        "reason": alarm.get("StateReason"),
                        "updated": alarm.get("StateUpdatedTimestamp"),
                        "metric": f"{alarm.get('Namespace') or ''} {alarm.get('MetricName') or ''}".strip()
                        or "(metric math)",
                        "threshold": alarm.get("Threshold"),
                        "comparison": alarm.get("ComparisonOperator"),
                    }
                )
        return {"alarms": alarms}

    # ------------------------------------------------------------------------------- dashboards

    def dashboards(self, query: dict[str, str]) -> dict[str, Any]:
        cloudwatch = self.client("cloudwatch")
        entries = []
        for page in cloudwatch.get_paginator("list_dashboards").paginate():
            for entry in page.get("DashboardEntries", []):
                entries.append({"name": entry["DashboardName"], "modified": entry.get("LastModified")})
        return {"dashboards": sorted(entries, key=lambda e: e["name"])}

    def dashboard(self, query: dict[str, str]) -> dict[str, Any]:
        name = _required(query, "name")
        minutes = _int(query, "minutes", 60, 5, 24 * 60)
        cloudwatch = self.client("cloudwatch")
        try:
            body = cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ResourceNotFoundException"):
                raise ConsoleError(404, f"no dashboard {name}") from None
            raise
        try:
            widgets = dashboards.build(
                body, self._metric_data, self._alarm_states, now=int(time.time()), minutes=minutes
            )
        except dashboards.DashboardError as exc:
            raise ConsoleError(422, f"dashboard {name}: {exc}") from None
        return {"name": name, "minutes": minutes, "columns": dashboards.GRID_COLUMNS, "widgets": widgets}

    def _metric_data(
        self, queries: list[dict[str, Any]], start: int, end: int
    ) -> dict[str, dict[int, float]]:
        cloudwatch = self.client("cloudwatch")
        found: dict[str, dict[int, float]] = {}
        for offset in range(0, len(queries), 500):  # GetMetricData takes at most 500 queries
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries[offset : offset + 500],
                "StartTime": datetime.fromtimestamp(start, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
            }
            while True:
                answer = cloudwatch.get_metric_data(**kwargs)
                for result in answer.get("MetricDataResults", []):
                    points = found.setdefault(result["Id"], {})
                    for stamp, value in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    ):
                        if value is not None:
                            points[int(stamp.timestamp())] = float(value)
                if not answer.get("NextToken"):
                    break
                kwargs["NextToken"] = answer["NextToken"]
        return found

    def _alarm_states(self, names: list[str]) -> dict[str, dict[str, Any]]:
        cloudwatch = self.client("cloudwatch")
        states: dict[str, dict[str, Any]] = {}
        for offset in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
            for page in cloudwatch.get_paginator("describe_alarms").paginate(
                AlarmNames=names[offset : offset + 100]
            ):
                for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                    states[alarm["AlarmName"]] = {
                        "state": alarm.get("StateValue"),
                        "reason": alarm.get("StateReason"),
                        "updated": alarm.get("StateUpdatedTimestamp"),
                    }
        return states


_MARKER = re.compile(r"^(START|END|REPORT) RequestId: ([0-9A-Za-z-]+)")


def invocation_lines(events: list[dict[str, Any]], not_before_ms: int | None = None) -> list[dict[str, Any]]:
    """FilterLogEvents' events as lines (``timestamp``, ``stream``, ``message``, ``requestId``), in time
    order. A line between a stream's ``START RequestId: x`` and its ``END``/``REPORT`` belongs to x; lines
    of an invocation whose START is not among ``events`` (it began before the window), or is stamped
    before ``not_before_ms``, are dropped when any invocation is marked at all."""
    ordered = sorted(
        events, key=lambda e: (e.get("timestamp", 0), e.get("logStreamName", ""), e.get("eventId", ""))
    )
    current: dict[str, str | None] = {}
    started: set[str] = set()
    lines = []
    marked = False
    for event in ordered:
        stream = str(event.get("logStreamName", ""))
        message = str(event.get("message", "")).rstrip("\n")
        match = _MARKER.match(message)
        request_id = current.get(stream)
        if match:
            marked = True
            request_id = match.group(2)
            current[stream] = request_id if match.group(1) == "START" else None
            if match.group(1) == "START" and (
                not_before_ms is None or event.get("timestamp", 0) >= not_before_ms
            ):
                started.add(request_id)
        lines.append(
            {
                "timestamp": datetime.fromtimestamp(event.get("timestamp", 0) / 1000, tz=UTC),
                "stream": stream,
                "message": message,
                "requestId": request_id,
            }
        )
    if marked:
        lines = [line for line in lines if line["requestId"] in started]
    return lines


def _plain_item(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


class Console:
    """The console on ``host:port``: ``start()`` binds in the caller's thread (OSError when the port is
    in use), ``url``, ``stop()``."""

    def __init__(self, sources: ConsoleSources, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = secrets.token_urlsafe(24)
        self.api = ConsoleApi(sources)
        self._host = host
        self._server = WsgiServer(
            self.app,
            host=host,
            port=port,
            limits=Limits(max_body_bytes=1024 * 1024),
            name=f"console-{port}",
            server_header="orderflow-console",
        )

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self._host == "0.0.0.0" else self._host
        return f"http://{host}:{self.port}/"

    def bind(self) -> None:
        """Claim the port now (OSError when it is in use), serve from start()."""
        self._server.bind()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    # ------------------------------------------------------------------------------------ WSGI

    def _allowed_host(self, host: str) -> bool:
        name, _, port = host.rpartition(":")
        if not name or port != str(self.port):
            return False
        if self._host == "0.0.0.0":
            return True  # exposed on purpose (--host 0.0.0.0): any name of this machine
        return name in ("127.0.0.1", "localhost", "[::1]", self._host)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        host = environ.get("HTTP_HOST", "")

        def answer(
            status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
        ) -> Any:
            reason = {
                200: "OK",
                400: "Bad Request",
                403: "Forbidden",
                404: "Not Found",
                405: "Method Not Allowed",
            }.get(status, "Error")
            headers = [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"),
                *extra,
            ]
            start_response(f"{status} {reason}", headers)
            return [body]

        def refuse(message: str) -> Any:
            return answer(403, json.dumps({"message": message}).encode(), "application/json")

        if not self._allowed_host(host):
            return refuse(f"Host {host[:100]!r} is not this console's")
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/").lower() != f"http://{host}".lower():
            return refuse(
                f"cross-origin request from {origin[:100]} refused: the console answers its own page only"
            )
        if origin is None and environ.get("HTTP_SEC_FETCH_SITE", "").lower() in _OTHER_SITES:
            return refuse("request from another site refused (Sec-Fetch-Site)")
        if method not in ("GET", "HEAD"):
            given = environ.get(_TOKEN_ENVIRON, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return refuse(f"{path} changes the embedded AWS: the console's page sends {TOKEN_HEADER}")
        if path.startswith("/api/"):
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            status, result = self.api.handle(method, path, query, body)
            return answer(status, json.dumps(result, default=_json_default).encode(), "application/json")
        if path in ("/", "/index.html"):
            page = _asset("index.html").decode("utf-8").replace("{{TOKEN}}", self.token)
            csp = (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            )
            return answer(
                200, page.encode("utf-8"), "text/html; charset=utf-8", (("Content-Security-Policy", csp),)
            )
        asset = path.lstrip("/").removeprefix("static/")
        if asset in _STATIC:
            return answer(200, _asset(asset), _STATIC[asset])
        return answer(404, json.dumps({"message": f"not found: {path[:200]}"}).encode(), "application/json")


def _asset(name: str) -> bytes:
    return resources.files("orderflow.console").joinpath("static", *name.split("/")).read_bytes()
