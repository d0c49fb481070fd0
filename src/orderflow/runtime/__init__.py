"""orderflow's local AWS runtime: any SAM template, run locally without Docker or an AWS account.

Public interface: :class:`Runtime`, :class:`RuntimeStartError`, :class:`Route`, :class:`InvokeResult`,
:func:`fetch_outbox`, :func:`format_outbox`, :func:`mails_to`.
See runtime.py (lifecycle), deploy.py (template -> stack), lambdas.py (workers),
streams.py (stream event source mappings) and the moto/ package (everything that reaches into moto: its
named patches and its process-global state).
"""

from .model import InvokeResult, Route, RuntimeStartError
from .outbox import fetch_outbox, format_outbox, mails_to
from .runtime import Runtime

__all__ = [
    "InvokeResult",
    "Route",
    "Runtime",
    "RuntimeStartError",
    "fetch_outbox",
    "format_outbox",
    "mails_to",
]
