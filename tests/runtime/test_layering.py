"""The moto-free parts of the tool import without moto: the pure IAM policy evaluator, metric math
and the console's dashboards (which a client of the runtime uses), so they are testable without the
embedded AWS and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "orderflow.runtime.iam_policy",
        "orderflow.metric_math",
        "orderflow.console.dashboards",
        "orderflow.runtime",
    ],
)
def test_module_imports_without_moto(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]", f"{module} imports moto: {out.strip()[:200]}"


def test_runtime_is_still_importable_from_the_package() -> None:
    from orderflow.runtime import Runtime
    from orderflow.runtime.runtime import Runtime as Direct

    assert Runtime is Direct
