"""``orderflow faults show`` at 100 columns: no line is longer, nothing is cut (the error column and
long names wrap), whatever the rules; the snapshot shown is a real FaultEngine's."""

from __future__ import annotations

import re

import pytest

from orderflow.cli_client import format_snapshot
from orderflow.runtime.faults import FaultEngine, parse_rules

RULES = {
    "seed": 7,
    "rules": [
        {
            "name": "ddb-throttle-every-write-of-the-products-table",
            "service": "dynamodb",
            "operations": ["TransactWriteItems", "BatchWriteItem", "UpdateItem", "PutItem", "DeleteItem"],
            "resources": ["ProductsTable", "OrdersTable", "IdempotencyTable"],
            "error": "ProvisionedThroughputExceededException",
            "probability": 0.2,
        },
        {
            "name": "sfn",
            "service": "stepfunctions",
            "error": {"code": "SomeVeryLongCustomErrorCodeX", "status": 503},
        },
        {"service": "lambda", "resources": ["WriteOrderFunction"], "error": "crash", "probability": 0.05},
        {"service": "sqs", "latency_ms": 200},
    ],
}


def snapshot() -> dict:  # type: ignore[type-arg]
    engine = FaultEngine()
    engine.set_rules(parse_rules(RULES))
    return engine.snapshot()


def test_the_table_fits_100_columns_and_cuts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    shown = format_snapshot(snapshot())
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 100, shown
    words = set(re.findall(r"[\w()-]+", shown))
    for rule in snapshot()["rules"]:
        assert rule["error"] is None or rule["error"]["code"] in words, shown
        assert {*(rule["operations"] or []), *(rule["resources"] or [])} <= words, shown
    assert {"(400)", "(503)", "crash", "200ms"} <= words and {"0.20", "0.05"} <= set(shown.split())
    # a long name wraps in its column (at hyphens), in order
    name_w = lines[1].index("service")
    assert "ddb-throttle-every-write-of-the-products-table" in "".join(
        line[:name_w].strip() for line in lines
    )


def test_a_wider_terminal_gets_each_error_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    shown = format_snapshot(snapshot())
    assert max(len(line) for line in shown.splitlines()) <= 200
    assert "ProvisionedThroughputExceededException (400)" in shown
    assert "SomeVeryLongCustomErrorCodeX (503)" in shown
