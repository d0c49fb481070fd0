"""What the orders that ran on a running local stack used: read from the stack, its executions'
histories, its tables and the functions' own REPORT lines.

- The stack (``--stack-name``, region by the AWS CLI's rule) gives the state machine and the
  functions; each function's MemorySize and Architectures come from Lambda's configuration (what
  the template deployed).
- Each finished execution's history gives the order's outcome, its state transitions (states
  entered, plus retries), its duration, its Lambda invocations (a Task attempt that Lambda throttled
  or could not reach ran nothing and is not billed) and its SQS service-integration requests.
- Lambda durations and log volume come from the runtime's function logs
  (``<template dir>/.orderflow/<stack>/logs/<LogicalId>.log``): the mean ``Duration`` of the
  function's REPORT lines, and the mean bytes from START to REPORT per invocation. Without those
  logs, durations come from the history's TaskStarted -> TaskSucceeded/TaskFailed times (which add
  the local invoke overhead) and the functions' log volume counts as zero; the report says which.
- The workflow's own log volume is each history event as Step Functions logs it with
  ``Level: ALL`` and ``IncludeExecutionData: true``.

This app's order path is known here (the CLI belongs to the app): ORDER_PATH says which function
makes which AWS requests; item sizes come from the stack's tables (capacity.py).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from orderflow.awsclients import client, not_running, stack_resources
from orderflow.cost import capacity
from orderflow.cost.calc import FunctionConfig, LambdaCall, OrderUsage, billed_express_mb
from orderflow.errors import OrderflowError
from orderflow.history import get_history, log_group_of, logged_description, logged_executions

STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"
FUNCTION_TYPE = "AWS::Lambda::Function"
SQS_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class OrderPath:
    """Which of the app's functions makes which AWS request, per invocation that ran."""

    api_function: str = "OrdersApiFunction"  # POST /orders: one invocation per order
    reads_products: str = "CheckStockFunction"  # one BatchGetItem (ConsistentRead) of the order's products
    writes_order: str = "WriteOrderFunction"  # one TransactWriteItems: an Update per product + the order Put
    sends_notification: str = "NotifyOrderFunction"  # one SendMessage (when it succeeds)
    products_table: str = "ProductsTable"
    orders_table: str = "OrdersTable"


ORDER_PATH = OrderPath()
# Errors Lambda answers without running the function: the attempt is neither a request nor compute.
NOT_RUN_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


@dataclass
class FunctionLog:
    """A function's REPORT lines: invocations, total duration (ms) and total bytes logged."""

    invocations: int = 0
    duration_ms: Decimal = Decimal(0)
    log_bytes: int = 0

    @property
    def mean_ms(self) -> Decimal:
        return self.duration_ms / self.invocations if self.invocations else Decimal(0)

    @property
    def mean_bytes(self) -> int:
        return round(self.log_bytes / self.invocations) if self.invocations else 0


@dataclass
class Measured:
    orders: list[OrderUsage]
    functions: dict[str, FunctionConfig]
    state_machine: str
    workflow_type: str
    executions_seen: int
    function_logs: dict[str, FunctionLog] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_REPORT = re.compile(rb"^REPORT RequestId: (\S+)\s+Duration: ([0-9.]+) ms")
_START = re.compile(rb"^START RequestId: (\S+)")


def parse_function_log(data: bytes) -> FunctionLog:
    """START ... END ... REPORT blocks of one function's log: count, Duration sum, bytes per block."""
    result = FunctionLog()
    open_bytes: int | None = None
    for line in data.splitlines(keepends=True):
        if _START.match(line):
            open_bytes = 0
        if open_bytes is not None:
            open_bytes += len(line)
        report = _REPORT.match(line)
        if report:
            result.invocations += 1
            result.duration_ms += Decimal(report.group(2).decode())
            result.log_bytes += open_bytes if open_bytes is not None else len(line)
            open_bytes = None
    return result


def read_function_logs(logs_dir: Path, logical_ids: list[str]) -> dict[str, FunctionLog]:
    logs = {}
    for logical_id in logical_ids:
        path = logs_dir / f"{logical_id}.log"
        if path.is_file():
            parsed = parse_function_log(path.read_bytes())
            if parsed.invocations:
                logs[logical_id] = parsed
    return logs


def workflow_log_bytes(events: list[dict[str, Any]], execution_arn: str) -> int:
    """Bytes of the execution's log records as Step Functions writes them at Level ALL with data."""
    total = 0
    for event in events:
        details = next(
            (v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {}
        )
        stamp = event["timestamp"]
        record = {
            "id": str(event["id"]),
            "type": event["type"],
            "details": details,
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": str(int(stamp.timestamp() * 1000))
            if isinstance(stamp, datetime)
            else str(stamp),
            "execution_arn": execution_arn,
        }
        total += len(json.dumps(record, separators=(",", ":"), default=str).encode("utf-8"))
    return total


def sqs_requests(body: Any) -> int:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return max(1, math.ceil(len(text.encode("utf-8")) / SQS_CHUNK_BYTES))


@dataclass
class _Attempt:
    state: str
    resource_type: str
    parameters: dict[str, Any]
    started: datetime | None = None
    ended: datetime | None = None
    outcome: str = ""  # succeeded | failed
    error: str = ""


def _attempts(events: list[dict[str, Any]]) -> tuple[list[_Attempt], int, str]:
    """(task attempts, state transitions, outcome) of one history."""
    attempts: list[_Attempt] = []
    transitions = 0
    state = ""
    outcome = "FAILED"
    scheduled_in_visit = 0
    for event in sorted(events, key=lambda e: e["id"]):
        kind = event["type"]
        if kind.endswith("StateEntered"):
            transitions += 1
            state = str((event.get("stateEnteredEventDetails") or {}).get("name", ""))
            scheduled_in_visit = 0
        elif kind == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            scheduled_in_visit += 1
            if scheduled_in_visit > 1:
                transitions += 1  # a retry is billed as one more transition
            try:
                parameters = json.loads(details.get("parameters") or "{}")
            except ValueError:
                parameters = {}
            attempts.append(_Attempt(state, str(details.get("resourceType", "")), parameters))
        elif kind == "TaskStarted" and attempts:
            attempts[-1].started = event["timestamp"]
        elif kind in ("TaskSucceeded", "TaskFailed", "TaskTimedOut") and attempts:
            attempts[-1].ended = event["timestamp"]
            attempts[-1].outcome = "succeeded" if kind == "TaskSucceeded" else "failed"
            if kind != "TaskSucceeded":
                details = event.get("taskFailedEventDetails") or event.get("taskTimedOutEventDetails") or {}
                attempts[-1].error = str(details.get("error", ""))
        elif kind == "ExecutionSucceeded":
            try:
                output = json.loads(event["executionSucceededEventDetails"].get("output") or "{}")
            except ValueError:
                output = {}
            outcome = str(output.get("status", "SUCCEEDED")) if isinstance(output, dict) else "SUCCEEDED"
    return attempts, transitions, outcome


def _function_name(parameters: dict[str, Any]) -> str:
    name = str(parameters.get("FunctionName", ""))
    return name.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in name else name


def _history_ms(attempt: _Attempt) -> Decimal:
    if attempt.started and attempt.ended:
        return Decimal(str(round((attempt.ended - attempt.started).total_seconds() * 1000, 3)))
    return Decimal(0)


class _Tables:
    """Item sizes from the stack's tables, each item read once."""

    def __init__(self, dynamodb: Any, products: str, orders: str) -> None:
        self.dynamodb, self.products, self.orders = dynamodb, products, orders
        self._product_sizes: dict[str, int] = {}
        self.order_indexes = self._index_projections(orders)

    def _index_projections(self, table: str) -> list[tuple[set[str] | None, list[str]]]:
        """Per GSI: (projected attribute names, None for ALL; its key attributes)."""
        description = self.dynamodb.describe_table(TableName=table)["Table"]
        keys = [k["AttributeName"] for k in description["KeySchema"]]
        result: list[tuple[set[str] | None, list[str]]] = []
        for index in description.get("GlobalSecondaryIndexes", []):
            projection = index.get("Projection", {})
            index_keys = [k["AttributeName"] for k in index["KeySchema"]]
            if projection.get("ProjectionType", "ALL") == "ALL":
                result.append((None, index_keys))
            else:
                result.append(({*keys, *index_keys, *projection.get("NonKeyAttributes", [])}, index_keys))
        return result

    def product_sizes(self, product_ids: list[str]) -> dict[str, int]:
        missing = [p for p in dict.fromkeys(product_ids) if p not in self._product_sizes]
        for start in range(0, len(missing), 100):
            request = {
                self.products: {"Keys": [{"productId": {"S": p}} for p in missing[start : start + 100]]}
            }
            while request:
                response = self.dynamodb.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.products, []):
                    self._product_sizes[item["productId"]["S"]] = capacity.item_size(item)
                request = response.get("UnprocessedKeys") or {}
        # a product deleted since (or never there) was read as nothing: one unit still
        return {p: self._product_sizes.get(p, 0) for p in product_ids}

    def order_item(self, order_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.orders, Key={"orderId": {"S": order_id}}).get("Item")
        return dict(item) if item else None


def _order_units(
    tables: _Tables, attempts: list[_Attempt], ran: list[_Attempt], path: OrderPath, functions: dict[str, str]
) -> tuple[Decimal, Decimal, int]:
    """(RRU, WRU, SQS requests) of one execution's attempts that ran."""
    reads = writes = Decimal(0)
    sqs = 0
    for attempt in attempts:
        if attempt.resource_type == "sqs":
            sqs += sqs_requests(attempt.parameters.get("MessageBody", ""))
    for attempt in ran:
        function = functions.get(_function_name(attempt.parameters), "")
        payload = attempt.parameters.get("Payload")
        payload = payload if isinstance(payload, dict) else {}
        product_ids = [
            str(line.get("productId")) for line in payload.get("items") or [] if isinstance(line, dict)
        ]
        if function == path.reads_products:
            sizes = tables.product_sizes(product_ids)
            reads += sum((capacity.read_units(sizes[p]) for p in dict.fromkeys(product_ids)), Decimal(0))
        elif function == path.writes_order and attempt.outcome == "succeeded":
            sizes = tables.product_sizes(product_ids)
            writes += sum((capacity.write_units(sizes[p], transactional=True) for p in sizes), Decimal(0))
            order = tables.order_item(str(payload.get("orderId", "")))
            if order is not None:
                size = capacity.item_size(order)
                writes += capacity.write_units(size, transactional=True)
                for projected, index_keys in tables.order_indexes:
                    if all(k in order for k in index_keys):  # sparse index: only items with its keys
                        part = (
                            order if projected is None else {k: v for k, v in order.items() if k in projected}
                        )
                        writes += capacity.write_units(capacity.item_size(part))
        elif function == path.sends_notification and attempt.outcome == "succeeded":
            sqs += sqs_requests(payload)
    return reads, writes, sqs


def express_log_group(described: dict[str, Any]) -> str:
    """The log group an EXPRESS state machine's executions can be read from (they cannot be listed or
    described, on AWS as locally); OrderflowError (one line) when its logging cannot give what is priced."""
    name = described.get("name", "the state machine")
    logging = described.get("loggingConfiguration") or {}
    group = log_group_of(described)
    if group is None or logging.get("level") != "ALL" or not logging.get("includeExecutionData"):
        raise OrderflowError(
            f"{name} is EXPRESS and does not log every event with its data (Logging Level ALL, "
            "IncludeExecutionData true): its executions cannot be read; measure with that logging on, "
            "or on `orderflow up --parameter-overrides WorkflowType=STANDARD` (the figures price both types)"
        )
    return group


Run = tuple[dict[str, Any], list[dict[str, Any]]]  # (ListExecutions' item, GetExecutionHistory's events)


def _standard_runs(sfn: Any, machine: str, limit: int) -> list[Run]:
    finished: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        finished.extend(e for e in page["executions"] if e.get("status") != "RUNNING" and e.get("stopDate"))
    finished.sort(key=lambda e: e["startDate"], reverse=True)
    return [(e, get_history(sfn, e["executionArn"])) for e in finished[:limit]]


def _express_runs(logs: Any, group: str, limit: int) -> list[Run]:
    finished = [
        (description, events)
        for arn, events in logged_executions(logs, group).items()
        if "stopDate" in (description := logged_description(arn, events))
    ]
    finished.sort(key=lambda run: run[0]["startDate"], reverse=True)
    return finished[:limit]


def collect(
    endpoint: str,
    stack_name: str,
    region: str,
    logs_dir: Path | None,
    limit: int = 500,
    path: OrderPath = ORDER_PATH,
) -> Measured:
    """Measure the orders that ran on the stack; OrderflowError (one line) when there is nothing
    to measure."""
    try:
        return _collect(endpoint, stack_name, region, logs_dir, limit, path)
    except EndpointConnectionError:
        raise not_running(endpoint) from None
    except ClientError as exc:
        raise OrderflowError(f"{endpoint}: {exc}") from None


def _collect(
    endpoint: str, stack_name: str, region: str, logs_dir: Path | None, limit: int, path: OrderPath
) -> Measured:
    resources = stack_resources(endpoint, stack_name, region)
    machines = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == STATE_MACHINE_TYPE]
    if not machines:
        raise OrderflowError(f"stack {stack_name!r} has no state machine: nothing to price")
    # function physical name -> logical id
    functions = {
        r["PhysicalResourceId"]: r["LogicalResourceId"]
        for r in resources
        if r["ResourceType"] == FUNCTION_TYPE
    }
    sfn = client("stepfunctions", endpoint, region, max_attempts=1)
    awslambda = client("lambda", endpoint, region, max_attempts=1)
    machine = machines[0]
    described = sfn.describe_state_machine(stateMachineArn=machine)
    workflow_type = str(described.get("type", "STANDARD"))
    if workflow_type == "EXPRESS":
        group = express_log_group(described)
        runs = _express_runs(client("logs", endpoint, region, max_attempts=1), group, limit)
    else:
        runs = _standard_runs(sfn, machine, limit)
    if not runs:
        raise OrderflowError(
            f"no finished executions of {machine.rsplit(':', 1)[-1]} in stack {stack_name!r} yet: "
            "place some orders first"
        )
    by_logical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    for logical in (path.products_table, path.orders_table, path.api_function):
        if logical not in by_logical:
            raise OrderflowError(
                f"stack {stack_name!r} has no {logical}: `orderflow cost` prices orderflow's template"
            )

    configs: dict[str, FunctionConfig] = {}
    for physical, logical in functions.items():
        config = awslambda.get_function_configuration(FunctionName=physical)
        architecture = (config.get("Architectures") or ["x86_64"])[0]
        configs[logical] = FunctionConfig(int(config.get("MemorySize") or 128), architecture)

    logs = read_function_logs(logs_dir, sorted(configs)) if logs_dir and logs_dir.is_dir() else {}
    measured = Measured([], configs, machine, workflow_type, len(runs), logs)
    if workflow_type == "EXPRESS":
        measured.notes.append(f"EXPRESS executions read from their log group {group}, as on AWS")
    if logs:
        counted = sum(log.invocations for log in logs.values())
        measured.notes.append(
            f"Lambda durations and log volume: mean of {counted} REPORT lines in {logs_dir}"
        )
    else:
        measured.notes.append(
            "Lambda durations from the histories' TaskStarted->TaskSucceeded times (no function logs "
            f"found{f' in {logs_dir}' if logs_dir else ''}: see --template); Lambda log volume not counted"
        )
    tables = _Tables(
        client("dynamodb", endpoint, region), by_logical[path.products_table], by_logical[path.orders_table]
    )
    definition_bytes = len(str(described.get("definition", "")).encode("utf-8"))

    api_log = logs.get(path.api_function)
    api_call = LambdaCall(
        path.api_function, api_log.mean_ms if api_log else Decimal(0), api_log.mean_bytes if api_log else 0
    )
    if api_log is None:
        measured.notes.append(
            f"{path.api_function}'s duration not measured (no REPORT lines): counted as 0 ms"
        )
    for execution, events in runs:
        arn = execution["executionArn"]
        attempts, transitions, outcome = _attempts(events)
        ran = [
            a for a in attempts if a.resource_type == "lambda" and a.error not in NOT_RUN_ERRORS and a.outcome
        ]
        calls = []
        for attempt in ran:
            logical = functions.get(_function_name(attempt.parameters), _function_name(attempt.parameters))
            log = logs.get(logical)
            if logical not in configs:
                continue  # a function outside the stack: not this app's to price
            calls.append(
                LambdaCall(
                    logical, log.mean_ms if log else _history_ms(attempt), log.mean_bytes if log else 0
                )
            )
        reads, writes, sqs = _order_units(tables, attempts, ran, path, functions)
        payload = max((len(json.dumps(a.parameters)) for a in attempts), default=0)
        duration = Decimal(
            str(round((execution["stopDate"] - execution["startDate"]).total_seconds() * 1000, 3))
        )
        measured.orders.append(
            OrderUsage(
                outcome=outcome if outcome in ("CONFIRMED", "REJECTED") else "FAILED",
                transitions=transitions,
                duration_ms=duration,
                workflow_calls=tuple(calls),
                api_calls=(api_call,),
                read_units=reads,
                write_units=writes,
                sqs_requests=sqs,
                ses_mails=0,  # no function on the order path may send mail (its policies have no ses:*)
                workflow_log_bytes=workflow_log_bytes(events, arn),
                express_memory_mb=billed_express_mb(math.ceil((definition_bytes + payload) / 1024 / 1024)),
            )
        )
    return measured


def outcome_shares(orders: list[OrderUsage]) -> dict[str, Decimal]:
    counts: dict[str, int] = defaultdict(int)
    for order in orders:
        counts[order.outcome] += 1
    return {k: Decimal(counts[k]) / len(orders) for k in ("CONFIRMED", "REJECTED", "FAILED")}
