"""The deferred tracer: Powertools' Tracer (and so the X-Ray SDK's import) stays off the cold start."""

from __future__ import annotations

from typing import Any

import pytest
from orderflow_common import observability


class FakeTracer:
    created = 0

    def __init__(self) -> None:
        FakeTracer.created += 1
        self.calls: list[str] = []

    def capture_lambda_handler(self, fn: Any, **options: Any) -> Any:
        def traced(*args: Any) -> Any:
            self.calls.append(f"handler {fn.__name__} {options}")
            return fn(*args)

        return traced

    def capture_method(self, fn: Any, **options: Any) -> Any:
        def traced(*args: Any) -> Any:
            self.calls.append(f"method {fn.__name__} {options}")
            return fn(*args)

        return traced

    def put_annotation(self, key: str, value: Any) -> None:
        self.calls.append(f"annotation {key}")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeTracer]:
    FakeTracer.created = 0
    monkeypatch.setattr(observability, "Tracer", FakeTracer)
    return FakeTracer


def test_the_tracer_is_created_at_the_first_traced_call_not_at_decoration(
    fake: type[FakeTracer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)  # as on AWS with Tracing: Active
    tracer = observability.DeferredTracer()

    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> Any:
        return {"event": event}

    @tracer.capture_method(capture_response=False)
    def lookup(key: str) -> str:
        return key.upper()

    assert fake.created == 0, "decorating (at import) creates no Tracer"
    assert handler({"a": 1}, None) == {"event": {"a": 1}}
    assert lookup("k") == "K"
    assert handler({}, None) == {"event": {}}
    tracer.put_annotation("order", "o-1")
    assert fake.created == 1
    assert tracer.real.calls == [  # type: ignore[attr-defined]
        "handler handler {}",
        "method lookup {'capture_response': False}",
        "handler handler {}",
        "annotation order",
    ]
    assert handler.__name__ == "handler"


def test_with_tracing_disabled_no_tracer_is_ever_created(
    fake: type[FakeTracer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = observability.DeferredTracer()

    def handler(event: Any, context: Any) -> Any:
        return event

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_method()(handler) is handler
    assert handler({"x": 1}, None) == {"x": 1}
    assert fake.created == 0
