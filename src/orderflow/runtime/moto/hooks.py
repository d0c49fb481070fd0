"""What the runtime's patches call back into: the running local runtime (one per process)."""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Hooks(Protocol):
    """Implemented by :class:`orderflow.runtime.patch_hooks.RuntimeHooks`."""

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, str | None]:
        """Run the function; ``request_id`` is the Invoke request's, which is the invocation's
        (``context.aws_request_id`` and its START/END/REPORT lines). Payload and FunctionError."""

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None: ...

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        """A Step Functions execution ``started`` or ``ended`` (see ``sfn_watch.execution_info``)."""

    def lambda_fault(self, function_name: str) -> Any:
        """The fault injection (``orderflow.runtime.faults.Injection``) for an in-process Invoke, or None."""

    def iam_denied(self, denial: Any) -> None:
        """A request of a role session was refused (``orderflow.runtime.moto.iam.Denial``)."""

    def sns_delivery(self, topic_arn: str, protocol: str, outcome: str) -> None:
        """One SNS notification to a subscription: ``delivered``, ``failed`` or ``filtered``."""

    def events_rule(
        self, bus_name: str, rule_name: str, event_id: str | None, invoked: int, failed: bool
    ) -> None:
        """An EventBridge rule matched an event: the targets it invoked, whether that failed."""

    def deliver_events(self, deliveries: list[Any]) -> None:
        """EventBridge matched these (rule, target) pairs (``orderflow.runtime.event_input.Delivery``):
        send each, after the request that made the event."""


_hooks: Hooks | None = None
_lock = threading.Lock()


def attach(hooks: Hooks) -> None:
    global _hooks
    with _lock:
        if _hooks is not None:
            raise RuntimeError("a local runtime already runs in this process (moto is process-global)")
        _hooks = hooks


def detach() -> None:
    global _hooks
    with _lock:
        _hooks = None


def attached() -> bool:
    return _hooks is not None


def current() -> Hooks:
    if _hooks is None:
        raise RuntimeError("orderflow runtime is not running")
    return _hooks
