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
class Route:
    """One API route: ``path`` like ``/users/{userId}``; ``function_name`` is the physical Lambda name."""

    method: str
    path: str
    function_name: str


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
