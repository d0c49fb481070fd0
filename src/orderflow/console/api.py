"""The console's JSON API (``/api/...``, see server.py): its answers built from the embedded AWS's public
APIs (boto3 clients against its endpoint), plus what the runtime gives as callables (``ConsoleSources``):
the SES outbox and a peek at a queue's messages. Generic: it reads whatever stack, state machines,
tables and queues are there."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.history import is_express_arn, log_group_of, logged_description, logged_executions

from . import dashboards, model
from .logs import invocation_logs
from .query import ConsoleError, integer, required

MAX_PAGE = 100


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
            ("GET", "/api/last-input"): self.last_input,
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
        arn = required(query, "machine")
        status = query.get("status") or None
        limit = integer(query, "limit", 25, 1, MAX_PAGE)
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
                {
                    **{k: e.get(k) for k in ("executionArn", "name", "status", "startDate", "stopDate")},
                    "lastState": self._last_state(sfn, e["executionArn"]),
                }
                for e in page["executions"]
            ],
            "next": page.get("nextToken"),
        }

    @staticmethod
    def _last_state(sfn: Any, arn: str) -> str | None:
        """The state the execution entered last (how it ended, e.g. a Pass state that names the outcome)."""
        events: list[dict[str, Any]] = []
        try:
            for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
                events.extend(page["events"])
        except ClientError:
            return None
        return model.last_state(events)

    def last_input(self, query: dict[str, str]) -> dict[str, Any]:
        """The input of the machine's latest execution (what the Start page proposes), or null."""
        arn = required(query, "machine")
        sfn = self.client("stepfunctions")
        listed = sfn.list_executions(stateMachineArn=arn, maxResults=1)["executions"]
        if not listed:
            return {"input": None, "from": None}
        described = sfn.describe_execution(executionArn=listed[0]["executionArn"])
        return {"input": described.get("input"), "from": listed[0]["name"]}

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
        arn = required(query, "arn")
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
        """The log lines of one Lambda invocation, by its request id (see ``logs.invocation_logs``)."""
        return invocation_logs(self.client("logs"), query)

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
        name = required(query, "table")
        limit = integer(query, "limit", 25, 1, MAX_PAGE)
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
        name = required(query, "queue").rsplit("/", 1)[-1]
        limit = integer(query, "limit", 50, 1, MAX_PAGE)
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
        name = required(query, "name")
        minutes = integer(query, "minutes", 60, 5, 24 * 60)
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


def _plain_item(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}
