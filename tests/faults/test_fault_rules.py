"""The fault-injection engine: rules parsing and validation, matching, seeding, counters, latency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderflow.runtime.faults import (
    FaultEngine,
    FaultRuleError,
    load_document,
    parse_rules,
    resource_key,
)

GOOD = """
seed: 7
rules:
  - name: ddb
    service: dynamodb
    operations: [TransactWriteItems]
    resources: [ProductsTable]
    error: ProvisionedThroughputExceededException
    probability: 0.5
  - service: lambda
    error: {code: TooManyRequestsException, status: 429}
  - service: sqs
    latency_ms: 20
"""


def test_a_good_document_parses_with_defaults_and_statuses() -> None:
    doc = parse_rules(load_document(GOOD))
    assert doc.seed == 7
    ddb, lam, sqs = doc.rules
    assert (ddb.name, ddb.error and ddb.error.status, ddb.probability) == ("ddb", 400, 0.5)
    assert ddb.operations == frozenset({"TransactWriteItems"})
    assert lam.name == "rule 2" and lam.error is not None and lam.error.status == 429
    assert lam.probability == 1.0 and lam.operations is None and lam.resources is None
    assert sqs.error is None and sqs.latency_ms == 20


def test_json_is_accepted_and_a_bare_list_is_the_rules() -> None:
    doc = parse_rules(load_document(json.dumps([{"service": "ses", "error": "Throttling"}])))
    assert doc.seed is None and doc.rules[0].error is not None and doc.rules[0].error.status == 400


def test_every_mistake_is_one_line() -> None:
    text = """
seeds: 1
rules:
  - service: dynamo
    error: ThrottlingException
  - service: dynamodb
    error: Boom
    probability: 1.5
    colour: red
  - service: sqs
    error: {code: InternalError, status: 200}
    latency_ms: -1
  - service: sqs
    error: crash
  - service: lambda
  - 12
"""
    with pytest.raises(FaultRuleError) as caught:
        parse_rules(load_document(text, "f.yaml"), "f.yaml")
    lines = caught.value.lines
    assert lines == [
        "f.yaml: unknown key 'seeds' (known: rules, seed)",
        "f.yaml: rule 1: unknown service 'dynamo' (known: dynamodb, sqs, lambda, ses, stepfunctions, "
        "sns, events)",
        "f.yaml: rule 2: unknown key 'colour' (known: error, latency_ms, name, operations, probability, "
        "resources, service)",
        "f.yaml: rule 2: unknown dynamodb error 'Boom' (known: ProvisionedThroughputExceededException, "
        "ThrottlingException, RequestLimitExceeded, InternalServerError, ServiceUnavailable; give "
        "{code, status} for another)",
        "f.yaml: rule 2: probability must be a number from 0 to 1, not 1.5",
        "f.yaml: rule 3: error status must be an HTTP error status (400-599), not 200",
        "f.yaml: rule 3: latency_ms must be a number of milliseconds from 0 to 60000, not -1",
        "f.yaml: rule 4: error 'crash' is for service lambda only",
        "f.yaml: rule 5: neither error nor latency_ms: the rule would do nothing",
        "f.yaml: rule 6: expected a mapping",
    ]


def test_a_yaml_syntax_error_is_one_line_with_its_line() -> None:
    with pytest.raises(FaultRuleError) as caught:
        load_document("rules:\n  - service: [sqs\n", "bad.yaml")
    assert len(caught.value.lines) == 1 and caught.value.lines[0].startswith("bad.yaml: ")
    assert "line" in caught.value.lines[0]


def test_a_custom_code_with_its_status_is_allowed() -> None:
    doc = parse_rules({"rules": [{"service": "sqs", "error": {"code": "KmsThrottled", "status": 400}}]})
    assert doc.rules[0].error is not None and doc.rules[0].error.code == "KmsThrottled"


def test_matching_by_service_operation_and_resource_counts_matched_and_injected() -> None:
    engine = FaultEngine()
    engine.set_rules(
        parse_rules(load_document(GOOD)),
        resolve={"ProductsTable": "ProductsTable-ABC"}.get,
    )
    assert engine.decide("dynamodb", "PutItem", ["ProductsTable-ABC"]) is None  # operation
    assert engine.decide("dynamodb", "TransactWriteItems", ["Other"]) is None  # resource
    fired = [
        engine.decide("dynamodb", "TransactWriteItems", ["Other", "ProductsTable-ABC"]) for _ in range(200)
    ]
    snapshot = engine.snapshot()
    ddb = snapshot["rules"][0]
    assert ddb["matched"] == 200
    assert ddb["injected"] == sum(1 for f in fired if f is not None)
    assert 60 < ddb["injected"] < 140  # p = 0.5
    lam = engine.decide("lambda", "Invoke", ["fn"])
    assert lam is not None and lam.error is not None and lam.error.code == "TooManyRequestsException"
    assert snapshot["injected"]["ProvisionedThroughputExceededException"] == ddb["injected"]
    assert engine.decide("ses", "SendEmail", []) is None  # no rule for the service


def test_a_logical_id_or_physical_name_matches_the_resource() -> None:
    engine = FaultEngine()
    doc = {"rules": [{"service": "sqs", "resources": ["Queue"], "error": "InternalError"}]}
    engine.set_rules(parse_rules(doc), {"Queue": "http://127.0.0.1:4566/123/orders-Queue-X1"}.get)
    assert engine.decide("sqs", "SendMessage", ["http://127.0.0.1:4566/123/orders-Queue-X1"]) is not None
    assert engine.decide("sqs", "SendMessage", ["http://127.0.0.1:4566/123/other"]) is None


def test_a_resource_the_stack_lacks_is_refused() -> None:
    engine = FaultEngine()
    doc = {
        "rules": [{"name": "r", "service": "dynamodb", "resources": ["Nope"], "error": "ThrottlingException"}]
    }
    with pytest.raises(FaultRuleError, match="r: resources: the stack has no resource 'Nope'"):
        engine.set_rules(parse_rules(doc), {}.get)


def test_the_same_seed_gives_the_same_injections() -> None:
    doc = {"seed": 42, "rules": [{"service": "dynamodb", "error": "ThrottlingException", "probability": 0.3}]}

    def run() -> list[bool]:
        engine = FaultEngine()
        engine.set_rules(parse_rules(doc))
        return [engine.decide("dynamodb", "GetItem", ["t"]) is not None for _ in range(100)]

    first, second = run(), run()
    assert first == second and any(first) and not all(first)
    other = FaultEngine()
    other.set_rules(parse_rules({**doc, "seed": 43}))
    assert [other.decide("dynamodb", "GetItem", ["t"]) is not None for _ in range(100)] != first


def test_latency_sleeps_through_the_injected_sleep() -> None:
    slept: list[float] = []
    engine = FaultEngine(sleep=slept.append)
    engine.set_rules(parse_rules({"rules": [{"service": "sqs", "latency_ms": 250}]}))
    injection = engine.decide("sqs", "SendMessage", ["q"])
    assert injection is not None and injection.error is None
    assert slept == [0.25]


def test_the_first_firing_rule_wins_and_later_ones_still_count_matched() -> None:
    engine = FaultEngine()
    doc = {
        "rules": [
            {"service": "lambda", "error": "TooManyRequestsException"},
            {"service": "lambda", "error": "crash"},
        ]
    }
    engine.set_rules(parse_rules(doc))
    injection = engine.decide("lambda", "Invoke", ["f"])
    assert injection is not None and injection.error is not None
    assert injection.error.code == "TooManyRequestsException"
    assert [(r["matched"], r["injected"]) for r in engine.snapshot()["rules"]] == [(1, 1), (1, 0)]


def test_clear_stops_every_injection() -> None:
    engine = FaultEngine()
    engine.set_rules(parse_rules({"rules": [{"service": "ses", "error": "Throttling"}]}))
    engine.clear()
    assert engine.decide("ses", "SendEmail", []) is None
    assert engine.snapshot() == {"seed": None, "rules": [], "injected": {}}


@pytest.mark.parametrize(
    ("physical", "key"),
    [
        ("http://127.0.0.1:4566/123456789012/orders-q", "orders-q"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn-1", "fn-1"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn-1:$LATEST", "fn-1"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Products-X", "Products-X"),
        ("Products-X", "Products-X"),
    ],
)
def test_resource_keys(physical: str, key: str) -> None:
    assert resource_key(physical) == key


def test_orderflow_up_refuses_a_bad_faults_file_one_line_each_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orderflow import cli

    template = Path(__file__).resolve().parents[2] / "template.yaml"
    bad = tmp_path / "faults.json"
    bad.write_text(
        json.dumps({"rules": [{"service": "kinesis"}, {"service": "sqs", "error": "InternalError", "p": 1}]})
    )
    assert cli.main(["up", "--template", str(template), "--faults", str(bad), "--no-lint"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"orderflow up: {bad}: rule 1: unknown service 'kinesis' "
        "(known: dynamodb, sqs, lambda, ses, stepfunctions, sns, events)",
        f"{bad}: rule 2: unknown key 'p' "
        "(known: error, latency_ms, name, operations, probability, resources, service)",
    ]
    assert cli.main(["up", "--template", str(template), "--faults", str(tmp_path / "none.yaml")]) == 1
    assert capsys.readouterr().err.strip() == f"orderflow up: --faults {tmp_path / 'none.yaml'}: no such file"
