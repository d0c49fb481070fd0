"""Fault injection in the embedded AWS: rules, their validation, matching, seeded decisions, counters,
and the error answers in each protocol's real wire format.

A rules document (``orderflow up --faults FILE``, ``orderflow faults set FILE``, YAML or JSON)::

    seed: 7                         # optional: the same seed gives the same sequence of decisions
    rules:
      - name: ddb-throttle          # optional (default "rule N")
        service: dynamodb           # dynamodb | sqs | lambda | ses | stepfunctions | sns | events
        operations: [PutItem, TransactWriteItems]   # optional: every operation
        resources: [ProductsTable]  # optional: tables, queues, functions (logical ids or physical names)
        error: ProvisionedThroughputExceededException   # or {code: X, status: 400}, or "crash" (lambda)
        probability: 0.2            # of each matching call (default 1)
        latency_ms: 50              # optional: added before the answer (with or without an error)

Each call that reaches the embedded AWS (from the Lambdas over HTTP, from the state machine's service
integrations) is matched against the rules in order: every matching rule counts it as *matched*; the
first whose dice roll fires is *injected* (its latency, then its error). Errors are answered before
the call reaches moto, so nothing of the failed call happened, as with a throttle on AWS.

Decisions come from one ``random.Random(seed)`` in call order: the same seed and the same sequence of
calls give the same injections (concurrent callers can interleave differently from run to run).
Latency sleeps through :attr:`FaultEngine.sleep` (injectable: tests never really sleep).

Nothing here imports moto; the WSGI middleware (:func:`middleware`) reads the service from the
request's SigV4 credential scope, the operation and the resources from the protocol.
"""

from __future__ import annotations

import io
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import yaml

from orderflow.errors import OrderflowError

from .aws_wire import PROTOCOLS, WireError, error_response, lambda_crash_payload

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

log = logging.getLogger("orderflow.runtime")

CRASH = "crash"
# Set on a request's WSGI environ when a fault was injected into it (its error code): the metering
# in front (service_metrics) counts it as the throttle or error it imitates.
INJECTED_FAULT = "orderflow.injected_fault"

# Per service: the errors the real service answers (code -> HTTP status); protocols are in aws_wire.
KNOWN_ERRORS: dict[str, dict[str, int]] = {
    "dynamodb": {
        "ProvisionedThroughputExceededException": 400,
        "ThrottlingException": 400,
        "RequestLimitExceeded": 400,
        "InternalServerError": 500,
        "ServiceUnavailable": 503,
    },
    "sqs": {
        "InternalError": 500,
        "ServiceUnavailable": 503,
        "RequestThrottled": 400,
        "ThrottlingException": 400,
    },
    "lambda": {
        "TooManyRequestsException": 429,
        "ServiceException": 500,
        "EC2ThrottledException": 502,
        "ResourceNotReadyException": 502,
    },
    "ses": {"Throttling": 400, "ServiceUnavailable": 503, "InternalFailure": 500},
    "stepfunctions": {"ThrottlingException": 400, "ServiceUnavailable": 503, "InternalFailure": 500},
    # SNS API Reference, Publish's errors (ThrottledException: code Throttled, 429)
    "sns": {"Throttled": 429, "InternalError": 500},
    # EventBridge API Reference, Common Errors (ThrottlingException 400) and PutEvents's InternalException
    "events": {"ThrottlingException": 400, "InternalException": 500},
}
RULE_KEYS = frozenset({"name", "service", "operations", "resources", "error", "probability", "latency_ms"})
DOCUMENT_KEYS = frozenset({"seed", "rules"})


class FaultRuleError(OrderflowError, ValueError):
    """A rules document with mistakes: one line per mistake in :attr:`lines`."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class FaultError:
    code: str  # the AWS error code, or CRASH
    status: int

    @property
    def kind(self) -> str:
        return self.code


@dataclass
class Rule:
    name: str
    service: str
    operations: frozenset[str] | None
    resources: tuple[str, ...] | None  # as written
    error: FaultError | None
    probability: float
    latency_ms: float
    names: frozenset[str] | None = None  # resources resolved to the physical names requests carry
    matched: int = 0
    injected: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "service": self.service,
            "operations": sorted(self.operations) if self.operations is not None else None,
            "resources": list(self.resources) if self.resources is not None else None,
            "error": {"code": self.error.code, "status": self.error.status} if self.error else None,
            "probability": self.probability,
            "latency_ms": self.latency_ms,
            "matched": self.matched,
            "injected": self.injected,
        }


@dataclass(frozen=True)
class Injection:
    rule: Rule
    error: FaultError | None
    latency_ms: float


@dataclass
class RulesDocument:
    seed: int | None
    rules: list[Rule] = field(default_factory=list)


# ------------------------------------------------------------------------------------ parsing


def load_document(text: str, source: str = "faults") -> Any:
    """YAML or JSON (JSON is YAML) text -> the document; FaultRuleError on a syntax error."""
    try:
        return yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML/JSON"
        raise FaultRuleError([f"{source}: {problem}{where}"]) from None


def parse_rules(document: Any, source: str = "faults") -> RulesDocument:
    """The rules of a document; FaultRuleError listing every mistake, one line each."""
    errors: list[str] = []
    if document is None:
        document = {}
    if isinstance(document, list):
        document = {"rules": document}
    if not isinstance(document, dict):
        raise FaultRuleError([f"{source}: expected a mapping with 'rules' (and optionally 'seed')"])
    for key in sorted(set(document) - DOCUMENT_KEYS, key=str):
        errors.append(f"{source}: unknown key {key!r} (known: rules, seed)")
    seed = document.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        errors.append(f"{source}: seed must be an integer, not {seed!r}")
        seed = None
    raw_rules = document.get("rules") or []
    if not isinstance(raw_rules, list):
        errors.append(f"{source}: rules must be a list")
        raw_rules = []
    rules = []
    for index, raw in enumerate(raw_rules, start=1):
        rule = _parse_rule(raw, f"{source}: rule {index}", index, errors)
        if rule is not None:
            rules.append(rule)
    if errors:
        raise FaultRuleError(errors)
    return RulesDocument(seed, rules)


def _string_list(value: Any, where: str, errors: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        errors.append(f"{where} must be a non-empty list of names")
        return None
    return tuple(value)


def _parse_rule(raw: Any, where: str, index: int, errors: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected a mapping")
        return None
    before = len(errors)
    for key in sorted(set(raw) - RULE_KEYS, key=str):
        errors.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(RULE_KEYS))})")
    name = raw.get("name", f"rule {index}")
    if not isinstance(name, str) or not name:
        errors.append(f"{where}: name must be a non-empty string")
    service = raw.get("service")
    if service not in PROTOCOLS:
        shown = "missing" if service is None else f"unknown service {service!r}"
        errors.append(f"{where}: {shown} (known: {', '.join(PROTOCOLS)})")
        service = None
    operations = _string_list(raw.get("operations"), f"{where}: operations", errors)
    resources = _string_list(raw.get("resources"), f"{where}: resources", errors)
    error = _parse_error(raw.get("error"), service, where, errors)
    probability = raw.get("probability", 1)
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
        errors.append(f"{where}: probability must be a number from 0 to 1, not {probability!r}")
        probability = 0
    latency = raw.get("latency_ms", 0)
    if isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 <= latency <= 60_000:
        errors.append(
            f"{where}: latency_ms must be a number of milliseconds from 0 to 60000, not {latency!r}"
        )
        latency = 0
    if "error" not in raw and not latency and len(errors) == before:
        errors.append(f"{where}: neither error nor latency_ms: the rule would do nothing")
    if len(errors) > before or service is None:
        return None
    return Rule(
        name=str(name),
        service=service,
        operations=frozenset(operations) if operations is not None else None,
        resources=resources,
        error=error,
        probability=float(probability),
        latency_ms=float(latency),
    )


def _parse_error(raw: Any, service: str | None, where: str, errors: list[str]) -> FaultError | None:
    if raw is None:
        return None
    status: Any = None
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"code", "status"}, key=str)
        if unknown:
            errors.append(f"{where}: error: unknown key {unknown[0]!r} (known: code, status)")
        code, status = raw.get("code"), raw.get("status")
    else:
        code = raw
    if not isinstance(code, str) or not code:
        errors.append(f"{where}: error must be an AWS error code (or {{code, status}})")
        return None
    if service is None:
        return None
    if code == CRASH:
        if service != "lambda":
            errors.append(f"{where}: error 'crash' is for service lambda only")
            return None
        return FaultError(CRASH, 200)
    known = KNOWN_ERRORS[service]
    if status is None:
        if code not in known:
            errors.append(
                f"{where}: unknown {service} error {code!r} (known: {', '.join(known)}"
                + (", crash" if service == "lambda" else "")
                + "; give {code, status} for another)"
            )
            return None
        status = known[code]
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        errors.append(f"{where}: error status must be an HTTP error status (400-599), not {status!r}")
        return None
    return FaultError(code, status)


def blanket_rules(rules: RulesDocument) -> list[str]:
    """One warning per rule that fails *every* call it matches: an error at probability 1. Each
    execution (or client) that makes such a call gets the error on every attempt, so all of them fail
    there unless something handles the error. (The runtime knows nothing of what the calls mean: a
    rule on a function or queue every execution passes through fails every execution.)"""
    warnings = []
    for rule in rules.rules:
        if rule.error is None or rule.probability < 1:
            continue
        scope = []
        if rule.operations is not None:
            scope.append(", ".join(sorted(rule.operations)))
        if rule.resources is not None:
            scope.append("to " + ", ".join(rule.resources))
        calls = f"every {rule.service} call" + (f" ({' '.join(scope)})" if scope else "")
        warnings.append(
            f"rule {rule.name!r} fails {calls} with {rule.error.code} (probability 1): every execution "
            "that makes such a call fails there unless a Retry or Catch handles it; give a probability "
            "below 1 to fail some calls only"
        )
    return warnings


# -------------------------------------------------------------------------------------- engine


def resource_key(physical: str) -> str:
    """The name a request carries for a physical resource id: a queue URL's last segment, an ARN's
    name (``arn:...:function:name`` -> name, ``arn:...:table/name`` -> name)."""
    text = physical.rstrip("/")
    if text.startswith(("http://", "https://")):
        return text.rsplit("/", 1)[-1]
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
            return parts[6]
        return parts[-1].rsplit("/", 1)[-1]
    return text


class FaultEngine:
    """The rules in force, their counters and the seeded dice. Thread-safe."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._services: frozenset[str] = frozenset()
        self._seed: int | None = None
        self._random = random.Random()  # noqa: S311 - fault dice, not security
        self.warnings: list[str] = []  # the last rules set's (see blanket_rules)

    @property
    def services(self) -> frozenset[str]:
        """The services some rule names (empty: every call goes straight through)."""
        return self._services

    def set_rules(self, rules: RulesDocument, resolve: Callable[[str], str | None] | None = None) -> None:
        """Replace the rules (counters start at 0). ``resolve`` maps a logical id to its physical id;
        a rule's resources are matched as written and as resolved. FaultRuleError for a resource the
        stack does not have (when ``resolve`` is given and knows nothing of it)."""
        errors = []
        for rule in rules.rules:
            if rule.resources is None:
                continue
            names = set()
            for written in rule.resources:
                names.add(resource_key(written))
                physical = resolve(written) if resolve is not None else None
                if physical:
                    names.add(resource_key(physical))
                elif resolve is not None:
                    errors.append(f"{rule.name}: resources: the stack has no resource {written!r}")
            rule.names = frozenset(names)
        if errors:
            raise FaultRuleError(errors)
        seed = rules.seed if rules.seed is not None else random.SystemRandom().randrange(2**31)
        self.warnings = blanket_rules(rules)
        for warning in self.warnings:
            log.warning("fault rules: %s", warning)
        with self._lock:
            self._rules = list(rules.rules)
            self._seed = seed
            self._random = random.Random(seed)  # noqa: S311
            self._services = frozenset(rule.service for rule in self._rules)

    def clear(self) -> None:
        self.warnings = []
        with self._lock:
            self._rules = []
            self._services = frozenset()

    def decide(self, service: str, operation: str | None, resources: Iterable[str] = ()) -> Injection | None:
        """Count the call against every matching rule; the injection of the first that fires. Its
        latency is slept here (through :attr:`sleep`)."""
        if service not in self._services:
            return None
        names = {resource_key(r) for r in resources if r}
        chosen: Injection | None = None
        with self._lock:
            for rule in self._rules:
                if rule.service != service:
                    continue
                if rule.operations is not None and operation not in rule.operations:
                    continue
                if rule.names is not None and not (rule.names & names):
                    continue
                rule.matched += 1
                if chosen is None and self._random.random() < rule.probability:
                    rule.injected += 1
                    chosen = Injection(rule, rule.error, rule.latency_ms)
        if chosen is not None and chosen.latency_ms:
            self.sleep(chosen.latency_ms / 1000)
        return chosen

    def snapshot(self) -> dict[str, Any]:
        """``{"seed", "rules": [... with matched/injected], "injected": {error code: count}}``."""
        with self._lock:
            rules = [rule.describe() for rule in self._rules]
            seed = self._seed if self._rules else None
        by_kind: dict[str, int] = {}
        for rule in rules:
            kind = rule["error"]["code"] if rule["error"] else "latency"
            by_kind[kind] = by_kind.get(kind, 0) + rule["injected"]
        return {"seed": seed, "rules": rules, "injected": by_kind}


def rules_route(
    engine: FaultEngine, set_rules: Callable[[RulesDocument], None], method: str, body: bytes
) -> tuple[int, Any]:
    """``/_orderflow/faults``: GET the rules and counters, PUT a rules document (JSON or YAML) through
    ``set_rules``, DELETE them all. (The guard in front asks PUT and DELETE for the admin token.)"""
    if method == "GET":
        return 200, engine.snapshot()
    if method == "DELETE":
        engine.clear()
        log.info("fault rules cleared")
        return 200, engine.snapshot()
    if method in ("PUT", "POST"):
        try:
            set_rules(parse_rules(load_document(body.decode("utf-8", "replace"), "rules"), "rules"))
        except FaultRuleError as exc:
            return 400, {"message": "invalid fault rules", "errors": exc.lines}
        return 200, {**engine.snapshot(), "warnings": list(engine.warnings)}
    return 405, {"message": f"{method} not allowed (GET, PUT, DELETE)"}


# --------------------------------------------------------------------------------- wire formats


def _message(service: str, code: str) -> str:
    if code in ("ProvisionedThroughputExceededException",):
        return (
            "The level of configured provisioned throughput for the table was exceeded. Consider "
            "increasing your provisioning level with the UpdateTable API."
        )
    if code == "TooManyRequestsException":
        return "Rate Exceeded."
    if "Throttl" in code or code in ("RequestLimitExceeded", "RequestThrottled"):
        return "Rate exceeded"
    return f"injected fault: {code}"


def wire_error(
    service: str, error: FaultError, protocol: str | None = None, request_id: str | None = None
) -> WireError:
    """The answer the real service gives for ``error``, in ``protocol`` (default: the service's)."""
    request_id = request_id or str(uuid.uuid4())
    if error.code == CRASH:  # the function's process died: Invoke itself succeeds (200)
        headers = [
            ("Content-Type", "application/json"),
            ("X-Amz-Function-Error", "Unhandled"),
            ("X-Amz-Executed-Version", "$LATEST"),
            ("x-amzn-RequestId", request_id),
        ]
        return WireError(200, headers, json.dumps(lambda_crash_payload(request_id)).encode())
    throttled = service == "lambda" and error.code == "TooManyRequestsException"
    return error_response(
        service,
        error.code,
        _message(service, error.code),
        error.status,
        protocol=protocol,
        request_id=request_id,
        fields={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"} if throttled else None,
        headers=[("Retry-After", "1")] if throttled else (),
    )


# ----------------------------------------------------------------------------------- middleware


def request_service(environ: Mapping[str, Any]) -> str | None:
    """The service of a SigV4-signed request: its credential scope (``.../region/SERVICE/aws4_request``)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    start = auth.find("Credential=")
    if start < 0:
        return None
    scope = auth[start + len("Credential=") :].split(",", 1)[0].split("/")
    service = scope[3] if len(scope) >= 5 else None
    return "ses" if service == "email" else "stepfunctions" if service == "states" else service


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _table_names(body: dict[str, Any]) -> list[str]:
    names = [body["TableName"]] if isinstance(body.get("TableName"), str) else []
    if isinstance(body.get("RequestItems"), dict):
        names += list(body["RequestItems"])
    for item in body.get("TransactItems") or []:
        if isinstance(item, dict):
            for action in item.values():
                if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                    names.append(action["TableName"])
    return names


def describe_request(environ: dict[str, Any], service: str) -> tuple[str | None, list[str], str]:
    """(operation, resource names, protocol) of a request to ``service``. Reads (and restores) the
    body of JSON and query requests."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        body = _read_body(environ)
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        parsed = parsed if isinstance(parsed, dict) else {}
        resources = _table_names(parsed)
        for key in ("QueueUrl", "QueueName", "stateMachineArn", "executionArn"):
            if isinstance(parsed.get(key), str):
                resources.append(parsed[key])
        for entry in parsed.get("Entries") or [] if service == "events" else []:  # PutEvents: its buses
            if isinstance(entry, dict):
                resources.append(str(entry.get("EventBusName") or "default"))
        return target.rsplit(".", 1)[-1], resources, "json"
    path = environ.get("PATH_INFO", "")
    if service == "lambda":
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[1] == "functions":
            name = unquote(parts[2])
            operation = "Invoke" if len(parts) >= 4 and parts[3] == "invocations" else None
            return operation, [name], "rest-json"
        return None, [], "rest-json"
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded") or environ.get("QUERY_STRING"):
        body = _read_body(environ)
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        form.update(parse_qs(environ.get("QUERY_STRING", "")))
        resources = [form[key][0] for key in ("QueueUrl", "QueueName", "TopicArn") if key in form]
        if service == "sqs" and path.count("/") >= 2:  # query clients may address the queue by path
            resources.append(path)
        actions = form.get("Action") or []
        return (actions[0] if actions else None), resources, "query"
    return None, [], PROTOCOLS.get(service, "json")


def middleware(app: WsgiApp, engine: FaultEngine) -> WsgiApp:
    """``app`` behind ``engine``: a call an injection fires for gets the service's error answer
    (after the rule's latency) instead of reaching ``app``. With no rules, one set lookup per request."""

    def faulty(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if engine.services:
            service = request_service(environ)
            if service is not None and service in engine.services:
                operation, resources, protocol = describe_request(environ, service)
                injection = engine.decide(service, operation, resources)
                if injection is not None and injection.error is not None:
                    if injection.error.code == CRASH and operation != "Invoke":
                        return app(environ, start_response)
                    environ[INJECTED_FAULT] = injection.error.code
                    wire = wire_error(service, injection.error, protocol)
                    headers = [*wire.headers, ("Content-Length", str(len(wire.body)))]
                    start_response(wire.status_line, headers)
                    return [wire.body]
        return app(environ, start_response)

    return faulty
