"""The metrics AWS publishes for the services the runtime hosts, published as those services do.

Generic (nothing here knows the application; nothing imports moto). Every datum goes to the
runtime's telemetry (``sink``), so the template's alarms see it and GetMetricData/ListMetrics show it.

What is published, with the names, units and dimensions of each service's documentation:

- **AWS/SQS** (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
  dimension ``QueueName``. Sampled once a minute (SQS pushes its metrics at one-minute intervals):
  ApproximateNumberOfMessagesVisible / NotVisible / Delayed and ApproximateAgeOfOldestMessage (only
  while the queue holds a message, as SQS reports it). Counted per request:
  NumberOfMessagesSent and SentMessageSize (SendMessage, SendMessageBatch), NumberOfMessagesReceived,
  NumberOfEmptyReceives, NumberOfMessagesDeleted. A message moved to a dead-letter queue after
  ``maxReceiveCount`` receives is not "sent", as on SQS (no request sends it).
- **AWS/DynamoDB** (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html),
  per request: SuccessfulRequestLatency (TableName, Operation), ConsumedRead/WriteCapacityUnits
  (TableName; item sizes approximated by their JSON length: a read unit per 4 KB, half for an
  eventually consistent read, a write unit per 1 KB, twice for a transaction), ThrottledRequests
  (TableName, Operation) and Read/WriteThrottleEvents (TableName) for a throttled request, also an
  injected one (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded: "a
  throttled request ... is reflected in ThrottledRequests, but not in UserErrors"),
  ConditionalCheckFailedRequests (TableName), TransactionConflict (TableName), UserErrors (no
  dimension: the account and region's other HTTP 400s) and SystemErrors (TableName, Operation: 5xx).
- **AWS/ApiGateway** for the local API (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html):
  Count, 4XXError, 5XXError (each request: 1 or 0, so Average is the error rate), Latency and
  IntegrationLatency (Milliseconds), by ``ApiName`` and by ``ApiName, Stage``.
- **AWS/Lambda** for an injected fault that never reached a worker
  (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): a throttle
  (TooManyRequestsException) is one Throttles, a crash one Invocations and one Errors (a runtime
  exit is a function error). The Lambda metrics of real invocations come from the worker pool.

- **AWS/SNS** (https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html),
  dimension ``TopicName``: NumberOfMessagesPublished and PublishSize (Bytes) per message of a
  successful Publish / PublishBatch; per notification to a subscription (the ``sns_delivery_outcomes``
  patch, runtime/moto/messaging.py) NumberOfNotificationsDelivered, NumberOfNotificationsFailed or
  NumberOfNotificationsFilteredOut.
- **AWS/Events** (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html): per
  PutEvents call (no dimension) PutEventsApproximateCallCount, PutEventsApproximateSuccessCount /
  FailedCount / ThrottledCount (1 or 0), PutEventsEntriesCount, PutEventsFailedEntriesCount,
  PutEventsLatency and PutEventsRequestSize; per rule an event matched (the ``events_rule_targets``
  patch) TriggeredRules, Invocations (failed ones included, as the page says) and
  FailedInvocations (a target that failed; for a target the runtime delivers, once its delivery
  failed; only when not zero, as EventBridge sends them) by ``RuleName`` on the default bus and by
  ``EventBusName, RuleName`` on a custom bus
  ("Metrics that specify both the EventBusName and RuleName dimensions refer to a custom event
  bus"), Invocations also without a dimension; MatchedEvents once per event that matched a rule.
  An injected PutEvents or Publish fault counts as the throttle or error it imitates.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from .faults import INJECTED_FAULT, describe_request, request_service
from .telemetry import Datum, datum

log = logging.getLogger("orderflow.runtime")

Sink = Callable[[list[Datum]], None]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# name, visible, not visible, delayed, age of the oldest message in seconds (None: empty)
QueueDepth = tuple[str, int, int, int, float | None]


DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
DYNAMODB_THROTTLES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")


def _error_code(status: int, headers: list[tuple[str, str]], body: bytes) -> str | None:
    if status < 400:
        return None
    for name, value in headers:
        if name.lower() == "x-amzn-query-error":
            return value.split(";", 1)[0]
    try:
        parsed = json.loads(body)
        kind = parsed.get("__type") or parsed.get("code") or ""
        return str(kind).rsplit("#", 1)[-1] or None
    except (ValueError, AttributeError):
        match = _XML_CODE.search(body)
        return match.group(1).decode("utf-8", "replace") if match else None


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _rule_dimensions(bus_name: str, rule_name: str) -> dict[str, str]:
    """A rule's AWS/Events dimensions: RuleName on the default bus, EventBusName and RuleName elsewhere."""
    if bus_name in ("", "default"):
        return {"RuleName": rule_name}
    return {"EventBusName": bus_name, "RuleName": rule_name}


def _queue_name(url_or_name: str) -> str:
    return url_or_name.rstrip("/").rsplit("/", 1)[-1]


def _function_name(name: str) -> str:
    return name.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in name else name


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"))) if value is not None else 0


class ServiceMetrics:
    """Publishes AWS/SQS, AWS/DynamoDB, AWS/ApiGateway (and injected AWS/Lambda) metrics into ``sink``.

    ``queue_depths()`` lists the queues' depths (sampled every ``period`` seconds of the caller's
    clock: :meth:`sample`); ``api_name(api_id)`` names a REST API (AWS's ApiName dimension)."""

    def __init__(
        self,
        sink: Sink,
        *,
        queue_depths: Callable[[], list[QueueDepth]] | None = None,
        api_name: Callable[[str], str | None] | None = None,
        period: float = 60.0,
    ):
        self._sink = sink
        self._queue_depths = queue_depths
        self._api_name = api_name
        self._api_names: dict[str, str] = {}
        self.period = period
        self._last_sample: float | None = None
        self._lock = threading.Lock()
        self._matched_events: dict[str, None] = {}  # event ids already counted in MatchedEvents

    # ------------------------------------------------------------------------------ SQS sampling

    def sample(self, now: float, explicit: bool = False) -> bool:
        """Publish the queues' depths if a period has passed since the last sample, the clock went
        back, or ``explicit`` (an evaluation at a test's clock samples the queues as they are). The
        data point describes the minute that ends at ``now``, so it is stamped just before it (an
        alarm evaluated at ``now`` sees it)."""
        if self._queue_depths is None:
            return False
        with self._lock:
            last = self._last_sample
            if not explicit and last is not None and last <= now < last + self.period:
                return False
        depths = self._queue_depths()
        if not depths and not explicit:
            # no queue yet (the first flush comes before the stack's deploy): the period starts with the
            # first queue, not a minute of "no data" after it
            return False
        with self._lock:
            self._last_sample = now
        stamp = now - 0.001
        data: list[Datum] = []
        for name, visible, not_visible, delayed, oldest in depths:
            dims = {"QueueName": name}
            data += [
                datum("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, visible, "Count", stamp),
                datum("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", dims, not_visible, "Count", stamp),
                datum("AWS/SQS", "ApproximateNumberOfMessagesDelayed", dims, delayed, "Count", stamp),
            ]
            if oldest is not None:
                data.append(datum("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, oldest, "Seconds", stamp))
        if data:
            self._sink(data)
        return True

    # ------------------------------------------------------------------- requests to the embedded AWS

    def middleware(self, app: WsgiApp) -> WsgiApp:
        """``app`` (the embedded AWS, behind its fault injection) metered: SQS and DynamoDB requests
        and injected Lambda faults publish their service's metrics. Other requests pass untouched."""

        def metered(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            service = request_service(environ)
            if service not in ("dynamodb", "sqs", "lambda", "sns", "events"):
                return app(environ, start_response)
            operation, resources, protocol = describe_request(environ, service)
            if service == "lambda" and operation != "Invoke":
                return app(environ, start_response)
            request = environ["wsgi.input"].getvalue() if hasattr(environ["wsgi.input"], "getvalue") else b""
            seen: dict[str, Any] = {}

            def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                seen["status"], seen["headers"] = int(status.split(" ", 1)[0]), headers
                return start_response(status, headers, *rest)

            started = time.perf_counter()
            result = app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            elapsed_ms = (time.perf_counter() - started) * 1000
            try:
                self._request(
                    service, operation, resources, protocol, request, environ, seen, body, elapsed_ms
                )
            except Exception:  # metering never fails a request
                log.debug("metering a %s request failed", service, exc_info=True)
            return [body]

        return metered

    def _request(
        self,
        service: str,
        operation: str | None,
        resources: list[str],
        protocol: str,
        request: bytes,
        environ: dict[str, Any],
        seen: dict[str, Any],
        body: bytes,
        elapsed_ms: float,
    ) -> None:
        status = int(seen.get("status", 500))
        code = _error_code(status, seen.get("headers", []), body)
        if service == "lambda":
            injected = environ.get(INJECTED_FAULT)
            if injected and resources:
                self.lambda_injection(_function_name(resources[0]), injected)
            return
        if service == "dynamodb":
            self._dynamodb(operation, _json(request), status, code, body, elapsed_ms)
        elif service == "events":
            self._put_events(operation, request, status, code, body, elapsed_ms)
        elif service == "sns":
            self._sns_publish(
                operation, _json(request) if protocol == "json" else _form(request, environ), status
            )
        else:
            params: dict[str, Any] = _json(request) if protocol == "json" else _form(request, environ)
            self._sqs(operation, params, resources, status, body, protocol)

    # ----------------------------------------------------------------------------------- DynamoDB

    def _dynamodb(
        self,
        operation: str | None,
        request: dict[str, Any],
        status: int,
        code: str | None,
        body: bytes,
        ms: float,
    ) -> None:
        if operation is None:
            return
        tables = _dynamodb_tables(request)
        data: list[Datum] = []
        if status < 400:
            if operation in DYNAMODB_READS or operation in DYNAMODB_WRITES:
                for table in tables:
                    dims = {"TableName": table, "Operation": operation}
                    data.append(datum("AWS/DynamoDB", "SuccessfulRequestLatency", dims, ms, "Milliseconds"))
                for table, units in _consumed(operation, request, _json(body)).items():
                    name = (
                        "ConsumedReadCapacityUnits"
                        if operation in DYNAMODB_READS
                        else "ConsumedWriteCapacityUnits"
                    )
                    data.append(datum("AWS/DynamoDB", name, {"TableName": table}, units, "Count"))
        elif code in DYNAMODB_THROTTLES:
            events = "ReadThrottleEvents" if operation in DYNAMODB_READS else "WriteThrottleEvents"
            for table, count in tables.items():
                data.append(
                    datum(
                        "AWS/DynamoDB",
                        "ThrottledRequests",
                        {"TableName": table, "Operation": operation},
                        1,
                        "Count",
                    )
                )
                data.append(datum("AWS/DynamoDB", events, {"TableName": table}, count, "Count"))
        elif code == "ConditionalCheckFailedException":
            for table in tables:
                data.append(
                    datum("AWS/DynamoDB", "ConditionalCheckFailedRequests", {"TableName": table}, 1, "Count")
                )
        elif code == "TransactionCanceledException" and b"TransactionConflict" in body:
            for table in tables:
                data.append(datum("AWS/DynamoDB", "TransactionConflict", {"TableName": table}, 1, "Count"))
        elif status >= 500:
            for table in tables:
                dims = {"TableName": table, "Operation": operation}
                data.append(datum("AWS/DynamoDB", "SystemErrors", dims, 1, "Count"))
        else:
            data.append(datum("AWS/DynamoDB", "UserErrors", {}, 1, "Count"))
        if data:
            self._sink(data)

    # ---------------------------------------------------------------------------------------- SQS

    def _sqs(
        self,
        operation: str | None,
        params: dict[str, Any],
        resources: list[str],
        status: int,
        body: bytes,
        protocol: str,
    ) -> None:
        if status >= 400 or not resources or operation is None:
            return
        dims = {"QueueName": _queue_name(resources[0])}
        data: list[Datum] = []
        if operation == "SendMessage":
            data.append(datum("AWS/SQS", "NumberOfMessagesSent", dims, 1, "Count"))
            size = len(str(params.get("MessageBody", "")).encode("utf-8"))
            data.append(datum("AWS/SQS", "SentMessageSize", dims, size, "Bytes"))
        elif operation == "SendMessageBatch":
            sent = _count(body, protocol, "Successful", b"<SendMessageBatchResultEntry>")
            if sent:
                data.append(datum("AWS/SQS", "NumberOfMessagesSent", dims, sent, "Count"))
        elif operation == "ReceiveMessage":
            received = _count(body, protocol, "Messages", b"<Message>")
            if received:
                data.append(datum("AWS/SQS", "NumberOfMessagesReceived", dims, received, "Count"))
            else:
                data.append(datum("AWS/SQS", "NumberOfEmptyReceives", dims, 1, "Count"))
        elif operation == "DeleteMessage":
            data.append(datum("AWS/SQS", "NumberOfMessagesDeleted", dims, 1, "Count"))
        elif operation == "DeleteMessageBatch":
            deleted = _count(body, protocol, "Successful", b"<DeleteMessageBatchResultEntry>")
            if deleted:
                data.append(datum("AWS/SQS", "NumberOfMessagesDeleted", dims, deleted, "Count"))
        if data:
            self._sink(data)

    # ---------------------------------------------------------------------------------------- SNS

    def _sns_publish(self, operation: str | None, params: dict[str, Any], status: int) -> None:
        if status >= 400 or operation not in ("Publish", "PublishBatch"):
            return
        topic = str(params.get("TopicArn") or "")
        if not topic:  # a Publish to a phone number or a platform endpoint: no topic metrics
            return
        dims = {"TopicName": topic.rsplit(":", 1)[-1]}
        if operation == "Publish":
            messages = [str(params.get("Message", ""))]
        else:  # PublishBatchRequestEntries.member.N.Message (query) or a JSON list
            entries = params.get("PublishBatchRequestEntries")
            if isinstance(entries, list):
                messages = [str(e.get("Message", "")) for e in entries if isinstance(e, dict)]
            else:
                messages = [
                    str(v)
                    for k, v in params.items()
                    if k.startswith("PublishBatchRequestEntries.") and k.endswith(".Message")
                ]
        data: list[Datum] = []
        for message in messages:
            data.append(datum("AWS/SNS", "NumberOfMessagesPublished", dims, 1, "Count"))
            data.append(datum("AWS/SNS", "PublishSize", dims, len(message.encode("utf-8")), "Bytes"))
        if data:
            self._sink(data)

    def sns_delivery(self, topic_arn: str, outcome: str) -> None:
        """One notification of a topic to one subscription: delivered, failed or filtered."""
        name = {
            "delivered": "NumberOfNotificationsDelivered",
            "failed": "NumberOfNotificationsFailed",
            "filtered": "NumberOfNotificationsFilteredOut",
        }.get(outcome)
        if name is not None:
            self._sink([datum("AWS/SNS", name, {"TopicName": topic_arn.rsplit(":", 1)[-1]}, 1, "Count")])

    # ---------------------------------------------------------------------------------- EventBridge

    def _put_events(
        self, operation: str | None, request: bytes, status: int, code: str | None, body: bytes, ms: float
    ) -> None:
        if operation != "PutEvents":
            return
        entries = _json(request).get("Entries")
        count = len(entries) if isinstance(entries, list) else 0
        failed_entries = int(_json(body).get("FailedEntryCount") or 0) if status < 400 else count
        throttled = code in ("ThrottlingException", "LimitExceededException")

        def one(name: str, value: float, unit: str = "Count") -> Datum:
            return datum("AWS/Events", name, {}, value, unit)

        self._sink(
            [
                one("PutEventsApproximateCallCount", 1),
                one("PutEventsApproximateSuccessCount", 1 if status < 400 else 0),
                one("PutEventsApproximateFailedCount", 1 if status >= 400 and not throttled else 0),
                one("PutEventsApproximateThrottledCount", 1 if throttled else 0),
                one("PutEventsEntriesCount", count),
                one("PutEventsFailedEntriesCount", failed_entries),
                one("PutEventsLatency", ms, "Milliseconds"),
                one("PutEventsRequestSize", len(request), "Bytes"),
            ]
        )

    def events_rule(
        self, bus_name: str, rule_name: str, event_id: str | None, invoked: int, failed: bool
    ) -> None:
        """A rule matched an event: ``invoked`` targets (Invocations counts failed ones too), ``failed``
        if an invocation is already known to have failed (later failures: events_failed_invocation)."""
        dims = _rule_dimensions(bus_name, rule_name)
        data = [datum("AWS/Events", "TriggeredRules", dims, 1, "Count")]
        with self._lock:
            first = event_id is None or event_id not in self._matched_events
            if event_id is not None and first:
                self._matched_events[event_id] = None
                while len(self._matched_events) > 10_000:  # only recent events can match again
                    self._matched_events.pop(next(iter(self._matched_events)))
        if first:
            data.append(datum("AWS/Events", "MatchedEvents", {}, 1, "Count"))
        if invoked:
            data.append(datum("AWS/Events", "Invocations", dims, invoked, "Count"))
            data.append(datum("AWS/Events", "Invocations", {}, invoked, "Count"))
        if failed:
            data.append(datum("AWS/Events", "FailedInvocations", dims, 1, "Count"))
        self._sink(data)

    def events_failed_invocation(self, rule_arn: str) -> None:
        """A target of rule ``rule_arn`` could not be invoked (the runtime's delivery failed); a
        Scheduler schedule's target counts nothing in AWS/Events."""
        resource = rule_arn.split(":", 5)[-1]
        if not resource.startswith("rule/"):
            return
        parts = resource.split("/")
        bus_name, rule_name = (parts[1], parts[2]) if len(parts) == 3 else ("default", parts[-1])
        self._sink(
            [datum("AWS/Events", "FailedInvocations", _rule_dimensions(bus_name, rule_name), 1, "Count")]
        )

    # ---------------------------------------------------------------------------- Lambda (faults)

    def lambda_injection(self, function_name: str, code: str) -> None:
        """An injected Lambda fault that never reached a worker: a throttle or a crash."""
        dims = {"FunctionName": function_name}
        if code == "TooManyRequestsException":
            self._sink([datum("AWS/Lambda", "Throttles", dims, 1, "Count")])
        elif code == "crash":
            self._sink(
                [
                    datum("AWS/Lambda", "Invocations", dims, 1, "Count"),
                    datum("AWS/Lambda", "Errors", dims, 1, "Count"),
                ]
            )

    # --------------------------------------------------------------------------------- API Gateway

    def api_request(
        self, api_id: str, stage: str | None, status: int, latency_ms: float, integration_ms: float | None
    ) -> None:
        """One request of the local REST API (whatever its status: a 404 counts, as on API Gateway)."""
        name = self._api_names.get(api_id)
        if name is None:
            try:
                name = (self._api_name(api_id) if self._api_name else None) or api_id
            except Exception:  # the embedded AWS is going away: the id names it
                name = api_id
            self._api_names[api_id] = name
        data: list[Datum] = []
        dimension_sets = [{"ApiName": name}] + ([{"ApiName": name, "Stage": stage}] if stage else [])
        for dims in dimension_sets:
            data += [
                datum("AWS/ApiGateway", "Count", dims, 1, "Count"),
                datum("AWS/ApiGateway", "4XXError", dims, 1 if 400 <= status < 500 else 0, "Count"),
                datum("AWS/ApiGateway", "5XXError", dims, 1 if status >= 500 else 0, "Count"),
                datum("AWS/ApiGateway", "Latency", dims, latency_ms, "Milliseconds"),
            ]
            if integration_ms is not None:
                data.append(
                    datum("AWS/ApiGateway", "IntegrationLatency", dims, integration_ms, "Milliseconds")
                )
        self._sink(data)


def _form(request: bytes, environ: dict[str, Any]) -> dict[str, Any]:
    form = parse_qs(request.decode("utf-8", "replace")) if request else {}
    form.update(parse_qs(environ.get("QUERY_STRING", "")))
    return {key: values[0] for key, values in form.items()}


def _count(body: bytes, protocol: str, key: str, tag: bytes) -> int:
    if protocol == "json":
        value = _json(body).get(key)
        return len(value) if isinstance(value, list) else 0
    return body.count(tag)


def _dynamodb_tables(request: dict[str, Any]) -> dict[str, int]:
    """Table -> the number of item events the request makes on it."""
    tables: dict[str, int] = {}
    if isinstance(request.get("TableName"), str):
        tables[request["TableName"]] = 1
    for table, entry in (request.get("RequestItems") or {}).items():
        keys = entry.get("Keys") if isinstance(entry, dict) else entry
        tables[table] = tables.get(table, 0) + (len(keys) if isinstance(keys, list) else 1)
    for item in request.get("TransactItems") or []:
        for action in item.values() if isinstance(item, dict) else ():
            if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                tables[action["TableName"]] = tables.get(action["TableName"], 0) + 1
    return tables


def _consumed(operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, float]:
    """The capacity units a successful request consumed, per table (the response's own
    ConsumedCapacity when the caller asked for it, otherwise estimated from the item sizes)."""
    reported = response.get("ConsumedCapacity")
    if reported:
        entries = reported if isinstance(reported, list) else [reported]
        return {e["TableName"]: float(e.get("CapacityUnits") or 0) for e in entries if e.get("TableName")}
    units: dict[str, float] = {}

    def add(table: str, value: float) -> None:
        units[table] = units.get(table, 0.0) + value

    def read_units(size: int, strong: bool) -> float:
        return max(1, math.ceil(size / 4096)) * (1.0 if strong else 0.5)

    def write_units(size: int) -> float:
        return float(max(1, math.ceil(size / 1024)))

    table = request.get("TableName")
    strong = bool(request.get("ConsistentRead"))
    if operation == "GetItem" and isinstance(table, str):
        add(table, read_units(_size(response.get("Item")), strong))
    elif operation in ("Query", "Scan") and isinstance(table, str):
        add(table, read_units(sum(_size(i) for i in response.get("Items") or []), strong))
    elif operation == "BatchGetItem":
        for name, items in (response.get("Responses") or {}).items():
            for item in items:
                add(name, read_units(_size(item), False))
    elif operation == "TransactGetItems":
        for entry in request.get("TransactItems") or []:
            name = (entry.get("Get") or {}).get("TableName")
            if name:
                add(name, 2 * read_units(0, True))
    elif operation == "PutItem" and isinstance(table, str):
        add(table, write_units(_size(request.get("Item"))))
    elif operation in ("UpdateItem", "DeleteItem") and isinstance(table, str):
        add(table, write_units(_size(request.get("Key"))))
    elif operation == "BatchWriteItem":
        for name, writes in (request.get("RequestItems") or {}).items():
            for write in writes:
                put = (write.get("PutRequest") or {}).get("Item")
                add(name, write_units(_size(put)))
    elif operation == "TransactWriteItems":
        for entry in request.get("TransactItems") or []:
            for action in entry.values():
                if isinstance(action, dict) and action.get("TableName"):
                    add(action["TableName"], 2 * write_units(_size(action.get("Item") or action.get("Key"))))
    return units


def service_metrics_for(runtime: Any, telemetry: Any) -> ServiceMetrics:
    """The ServiceMetrics of a Runtime: into its telemetry, its embedded SQS's queues sampled once a
    (scaled) minute, its REST APIs named by the embedded API Gateway."""
    from .moto import sqs as moto_sqs  # moto is imported when a runtime starts, not before

    def api_name(api_id: str) -> str | None:
        return str(runtime.client("apigateway").get_rest_api(restApiId=api_id)["name"])

    scale = runtime.time_scale if runtime.time_scale and runtime.time_scale > 0 else 1.0
    metrics = ServiceMetrics(
        telemetry.metric,
        queue_depths=lambda: moto_sqs.queue_depths(runtime.account_id, runtime.region),
        api_name=api_name,
        period=60.0 * scale,
    )
    telemetry.add_sampler(metrics.sample)
    return metrics
