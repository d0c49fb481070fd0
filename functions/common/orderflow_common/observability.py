"""The one Logger, Tracer and Metrics of a function, created once per execution environment.

POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_LOG_LEVEL come from the template.

The tracer is deferred: Powertools' ``Tracer()`` imports the X-Ray SDK (``aws_xray_sdk.core``, which
costs more CPU than boto3 and everything else a handler imports) even when tracing is disabled. Here
the real Tracer is created at the first call of a traced function, so Lambda's init (the cold start)
does not pay for it; with ``POWERTOOLS_TRACE_DISABLED=true`` it is never created at all and the
decorators return the functions as they are. The X-Ray SDK patches botocore's client class, so
clients created at import time are traced all the same.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

F = TypeVar("F", bound=Callable[..., Any])


def _tracing_disabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


class DeferredTracer:
    """Powertools' Tracer, created when a traced function first runs rather than at import."""

    def __init__(self) -> None:
        self._tracer: Tracer | None = None

    @property
    def real(self) -> Tracer:
        if self._tracer is None:
            self._tracer = Tracer()
        return self._tracer

    def _deferred(self, function: F, decorate: Callable[[Tracer, F], Callable[..., Any]]) -> F:
        if _tracing_disabled():
            return function
        traced: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            if not traced:
                traced.append(decorate(self.real, function))
            return traced[0](*args, **kwargs)

        return cast(F, call)

    def capture_lambda_handler(self, handler: F | None = None, **options: Any) -> Any:
        if handler is None:
            return functools.partial(self.capture_lambda_handler, **options)
        return self._deferred(handler, lambda tracer, fn: tracer.capture_lambda_handler(fn, **options))

    def capture_method(self, method: F | None = None, **options: Any) -> Any:
        if method is None:
            return functools.partial(self.capture_method, **options)
        return self._deferred(method, lambda tracer, fn: tracer.capture_method(fn, **options))

    def __getattr__(self, name: str) -> Any:  # put_annotation, put_metadata, ...: the real Tracer's
        return getattr(self.real, name)


logger = Logger()
tracer = DeferredTracer()
metrics = Metrics()

# Most invocations publish no application metric (only a rejection or a written order does): that is
# expected here, so Powertools' "No application metrics to publish" warning on each of them is noise.
# Filtering it is the fix the Powertools metrics documentation gives; raise_on_empty_metrics stays off.
warnings.filterwarnings("ignore", "No application metrics to publish*")
