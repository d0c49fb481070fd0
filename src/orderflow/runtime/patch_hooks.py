"""What the moto patches call back into (:class:`moto.hooks.Hooks`): a Lambda Invoke, a stream
record, a Step Functions execution's start and end, an in-process Invoke's fault, an IAM denial.

The hooks run functions through the ``invoke`` they are handed (the runtime's worker pool), and own
what runs beside it: the stream mappings' dispatchers and the asynchronous invocations' threads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .aws_wire import lambda_crash_payload
from .event_input import Delivery
from .event_targets import EventDelivery
from .faults import CRASH, FaultEngine, Injection
from .lambdas import lambda_error
from .model import FunctionThrottled, InvokeResult
from .moto import events as moto_events
from .moto import iam as moto_iam
from .schedules import Scheduler
from .service_metrics import ServiceMetrics
from .stopping import Stopping
from .streams import StreamDispatchers
from .telemetry import Telemetry, datum

log = logging.getLogger("orderflow.runtime")

STATUS_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}
ONE_LINE = 200


def _one_line(text: Any, limit: int = ONE_LINE) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def execution_outcome(execution: dict[str, Any]) -> str:
    """How an execution ended, in one line, generic: a FAILED one's error and cause (a Lambda error's
    ``errorType: errorMessage`` when the cause is one); a SUCCEEDED one whose output carries a
    ``reason`` (or ``error``), its ``status`` and that reason."""
    if execution["status"] != "SUCCEEDED":
        error = execution.get("error") or ""
        cause = execution.get("cause") or ""
        with contextlib.suppress(ValueError, TypeError):
            parsed = json.loads(cause)
            if isinstance(parsed, dict) and parsed.get("errorType"):
                cause = f"{parsed['errorType']}: {parsed.get('errorMessage', '')}"
        if error and cause and not cause.startswith(error):
            return _one_line(f"{error}: {cause}")
        return _one_line(cause or error)
    output = execution.get("output")
    if isinstance(output, str):
        with contextlib.suppress(ValueError):
            output = json.loads(output)
    if isinstance(output, dict):
        reason = output.get("reason") or output.get("error")
        if reason:  # e.g. a business rejection the workflow caught: {"status": "REJECTED", "reason": ...}
            status = output.get("status")
            return _one_line(f"{status}: {reason}" if isinstance(status, str) else f"reason: {reason}")
    return ""


class RuntimeHooks:
    """The runtime's side of the moto patches. ``invoke(name, event, request_id=None)`` runs a function
    synchronously; ``resources`` and ``functions_by_name`` give the deployed stack's logical id ->
    physical id and function name -> logical id (to name who an IAM denial hit)."""

    def __init__(
        self,
        invoke: Callable[..., InvokeResult],
        *,
        account_id: str,
        region: str,
        time_scale: float | None,
        faults: FaultEngine,
        stopping: Stopping,
        resources: Callable[[], dict[str, str]],
        functions_by_name: Callable[[], dict[str, str]],
        endpoint_url: str = "",
    ) -> None:
        self.invoke = invoke
        self.endpoint_url = endpoint_url
        self.account_id = account_id
        self.region = region
        self.time_scale = time_scale
        self.faults = faults
        self.stopping = stopping
        self.resources = resources
        self.functions_by_name = functions_by_name
        self.telemetry: Telemetry | None = None
        self.service_metrics: ServiceMetrics | None = None
        self.streams: StreamDispatchers | None = None
        self._async: ThreadPoolExecutor | None = None
        self.events: EventDelivery | None = None  # EventBridge's deliveries to rule targets
        self.schedules: Scheduler | None = None  # scheduled rules firing
        self.quiet = False  # after the stop's snapshot: interrupted executions end unseen
        # IAM denials are logged once each (function, action, resource) and all kept here.
        self.iam_denials: list[Any] = []
        self._iam_seen: set[tuple[str, str, str]] = set()
        self._lock_denials = threading.Lock()

    def start(self, telemetry: Telemetry, service_metrics: ServiceMetrics) -> None:
        """Start the stream dispatchers and the asynchronous invocations' threads."""
        self.telemetry = telemetry
        self.service_metrics = service_metrics
        self.streams = StreamDispatchers(
            self._stream_invoke, self.account_id, self.region, time_scale=self.time_scale
        )
        self._async = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-event")
        account, region = self.account_id, self.region
        self.events = EventDelivery(
            self.endpoint_url,
            region,
            lambda role: moto_iam.assume_role(account, role, "EventBridge"),
            on_failed=lambda delivery: service_metrics.events_failed_invocation(delivery.rule_arn),
        )
        self.schedules = Scheduler(
            lambda: moto_events.scheduled_rules(account, region),
            lambda arn, when: self.deliver_events(moto_events.fire_schedule(account, region, arn, when)),
            time_scale=self.time_scale,
        )
        self.schedules.start()

    def close(self) -> None:
        if self.schedules is not None:
            self.schedules.stop()
            self.schedules = None
        if self.events is not None:
            self.events.stop()
            self.events = None
        if self.streams is not None:
            self.streams.stop()
            self.streams = None
        if self._async is not None:
            self._async.shutdown(wait=False, cancel_futures=True)
            self._async = None

    # ------------------------------------------------------------------------------------ Lambda

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, str | None]:
        if invocation_type == "DryRun":
            return b"", None
        if invocation_type == "Event":
            # Asynchronous invoke: run in the background, no retries/destinations locally.
            assert self._async is not None
            self._async.submit(self._invoke_event, function_name, event, request_id)
            return b"", None
        result = self.invoke(function_name, event, request_id)
        return json.dumps(result.payload).encode("utf-8"), result.function_error

    def _invoke_event(self, function_name: str, event: Any, request_id: str | None = None) -> None:
        try:
            result = self.invoke(function_name, event, request_id)
        except FunctionThrottled as exc:  # Lambda would retry it for up to 6 hours; here it is reported
            log.warning("asynchronous invoke of %s throttled: %s", function_name, exc)
            return
        if result.function_error:
            payload = result.payload if isinstance(result.payload, dict) else {}
            log.warning(
                "asynchronous invoke of %s failed: %s: %s",
                function_name,
                payload.get("errorType"),
                payload.get("errorMessage"),
            )

    def lambda_fault(self, function_name: str) -> Injection | None:
        """The injection (if any) for an Invoke of ``function_name`` that does not come over HTTP."""
        injection = self.faults.decide("lambda", "Invoke", [function_name])
        if injection is not None and injection.error is not None and self.service_metrics is not None:
            self.service_metrics.lambda_injection(function_name, injection.error.code)
        return injection

    # ------------------------------------------------------------------------------- EventBridge

    def deliver_events(self, deliveries: list[Delivery]) -> None:
        """Rule targets matched by an event or a schedule: delivered by :attr:`events`' thread."""
        if self.events is not None and deliveries:
            self.events.submit(deliveries)

    # ----------------------------------------------------------------------------------- streams

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        if self.streams is not None:
            self.streams.submit(esm, record)

    def _stream_invoke(self, function_name: str, event: Any) -> InvokeResult:
        """A stream mapping's invocation: an injected Lambda error or crash is a failed attempt,
        which the mapping retries as it does a function error."""
        injection = self.lambda_fault(function_name)
        if injection is not None and injection.error is not None:
            if injection.error.code == CRASH:
                return InvokeResult(lambda_crash_payload(str(uuid.uuid4())), "Unhandled", 0.0, False)
            return InvokeResult(lambda_error(injection.error.code, "injected fault"), "Unhandled", 0.0, False)
        try:
            return self.invoke(function_name, event)
        except FunctionThrottled as exc:  # a failed attempt: the mapping retries the batch
            return InvokeResult(lambda_error("TooManyRequestsException", str(exc)), "Unhandled", 0.0, False)

    # ---------------------------------------------------------------------------- Step Functions

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        """A Step Functions execution started, resumed or ended: its AWS/States metrics and one
        console line."""
        if self.quiet:  # interrupted by the stop: what it does now is not kept
            return
        if kind == "ended":  # told just before the status shows (sfn_watch): drain() may look again
            self.stopping.notify()
        dimensions = {"StateMachineArn": execution["stateMachineArn"]}
        if kind == "resumed":
            log.info("execution resumed  %s  %s", execution["stateMachineName"], execution["name"])
            return
        if kind == "started":
            log.info("execution started  %s  %s", execution["stateMachineName"], execution["name"])
            if self.telemetry is not None:
                self.telemetry.metric([datum("AWS/States", "ExecutionsStarted", dimensions, 1, "Count")])
            return
        status = execution["status"]
        metric = STATUS_METRICS.get(status)
        if self.telemetry is not None and metric is not None:
            data = [datum("AWS/States", metric, dimensions, 1, "Count")]
            if execution.get("durationMs") is not None:
                data.append(
                    datum("AWS/States", "ExecutionTime", dimensions, execution["durationMs"], "Milliseconds")
                )
            self.telemetry.metric(data)
        took = execution.get("durationMs")
        line = f"execution ended    {execution['stateMachineName']}  {execution['name']}  {status}"
        if took is not None:
            line += f"  {took / 1000:.2f} s" if took >= 1000 else f"  {took:.0f} ms"
        outcome = execution_outcome(execution)
        if outcome:
            line += f"  {outcome}"
        (log.warning if status != "SUCCEEDED" else log.info)("%s", line)

    # --------------------------------------------------------------------------- SNS, EventBridge

    def sns_delivery(self, topic_arn: str, protocol: str, outcome: str) -> None:
        """Hook of the sns_delivery_outcomes and sns_lambda_delivery patches: AWS/SNS metrics of one
        notification."""
        if self.service_metrics is not None:
            self.service_metrics.sns_delivery(topic_arn, outcome)

    def events_rule(
        self, bus_name: str, rule_name: str, event_id: str | None, invoked: int, failed: bool
    ) -> None:
        """Hook of the events_rule_targets patch: AWS/Events metrics of one matched rule."""
        if self.service_metrics is not None:
            self.service_metrics.events_rule(bus_name, rule_name, event_id, invoked, failed)

    # ----------------------------------------------------------------------------------------- IAM

    def iam_denied(self, denial: Any) -> None:
        """Hook of the iam_role_sessions patch: one warning per distinct (principal, action, resource)
        naming the function (or state machine), and the statement that would allow it."""
        resources = self.resources()
        who = self.functions_by_name().get(denial.session.session_name)
        if who is None:  # a state machine's session: name the role's owner (SAM: <Owner>Role)
            role_name = denial.session.role_name
            roles = [logical for logical, physical in resources.items() if physical == role_name]
            role = roles[0] if roles else role_name
            owner = role.removesuffix("Role")
            who = owner if owner != role and owner in resources else role
        key = (denial.session.role_arn, denial.action, denial.resource)
        with self._lock_denials:
            self.iam_denials.append(denial)
            if key in self._iam_seen:
                return
            self._iam_seen.add(key)
        why = "an explicit Deny" if denial.explicit_deny is not None else "no statement allows it"
        log.warning(
            "IAM denied %s (role %s): %s on %s (%s); would allow: %s",
            who,
            denial.session.role_name,
            denial.action,
            denial.resource,
            why,
            json.dumps(denial.suggested_statement()),
        )
