"""orderflow's local AWS runtime: any SAM template, run locally without Docker or an AWS account.

Public interface: :class:`Runtime`, :class:`RuntimeStartError`, :class:`Route`, :class:`InvokeResult`,
:func:`fetch_outbox`, :func:`format_outbox`, :func:`mails_to`.
See runtime.py (lifecycle, composing the parts below), stack.py and deploy.py (template -> stack),
function_specs.py and lambdas.py (workers), patch_hooks.py (the moto patches' callbacks),
streams.py (stream event source mappings) and the moto/ package (everything that reaches into moto: its
named patches and its process-global state).
"""

from typing import TYPE_CHECKING, Any

from orderflow.outbox import fetch_outbox, format_outbox, mails_to

from .model import InvokeResult, Route, RuntimeStartError

if TYPE_CHECKING:
    from .runtime import Runtime


def __getattr__(name: str) -> Any:
    # Runtime (and with it moto) is imported on first use, so the moto-free modules of this package
    # (iam_policy, model, outbox, ...) and the CLI's client commands import without moto.
    if name == "Runtime":
        from .runtime import Runtime

        return Runtime
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "InvokeResult",
    "Route",
    "Runtime",
    "RuntimeStartError",
    "fetch_outbox",
    "format_outbox",
    "mails_to",
]
