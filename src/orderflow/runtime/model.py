"""The public value types of the local runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderflow.errors import OrderflowError


class RuntimeStartError(OrderflowError):
    """The local runtime could not start; the message is one line meant for the user."""


class FunctionThrottled(Exception):
    """An invoke past the function's reserved concurrency: Lambda's ``TooManyRequestsException``
    with Reason ``ReservedFunctionConcurrentInvocationLimitExceeded``."""

    reason = "ReservedFunctionConcurrentInvocationLimitExceeded"

    def __init__(self, function_name: str, reserved: int):
        super().__init__(f"Rate Exceeded. (function {function_name}, reserved concurrency {reserved})")
        self.function_name = function_name
        self.reserved = reserved


@dataclass(frozen=True)
class StatesIntegration:
    """An API method's AWS integration with Step Functions (``arn:aws:apigateway:<region>:states:
    action/StartExecution`` or ``StartSyncExecution``): its request templates by content type, its
    passthrough behavior and its integration responses ``(status, selection pattern, templates)``."""

    action: str
    request_templates: tuple[tuple[str, str], ...] = ()
    passthrough_behavior: str = "WHEN_NO_MATCH"
    responses: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class HttpApiRoute:
    """What makes a route an HTTP API's (API Gateway v2): its API, its stage (``$default``: no path
    prefix; a named stage is one), its route key (``GET /items/{id}`` or ``$default``) and the Lambda
    proxy payload format version (``2.0`` or ``1.0``)."""

    api_id: str
    stage: str
    route_key: str
    payload_version: str = "2.0"


@dataclass(frozen=True)
class Route:
    """One API route: ``path`` like ``/users/{userId}``; ``function_name`` is the physical Lambda name
    of a Lambda proxy integration, ``integration`` the Step Functions one (``function_name`` empty)."""

    method: str
    path: str
    function_name: str
    integration: StatesIntegration | None = None
    http_api: HttpApiRoute | None = None  # an HTTP API's route (else a REST API's)


@dataclass
class InvokeResult:
    """A Lambda invocation's outcome, shaped like Lambda's Invoke response.

    ``function_error`` is None on success, else "Unhandled" and ``payload`` is
    ``{"errorType", "errorMessage", "stackTrace"}``. ``request_id`` is the invocation's (its
    ``context.aws_request_id``, the id of its START/END/REPORT log lines); None when no function ran.
    """

    payload: Any
    function_error: str | None
    duration_ms: float
    cold_start: bool
    request_id: str | None = None
