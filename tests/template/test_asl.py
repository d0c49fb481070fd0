"""The order workflow's ASL: valid for Step Functions, wired to the template, and built the way we rely on."""

from __future__ import annotations

import copy
import json

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException
from moto.stepfunctions.parser.asl.static_analyser.express_static_analyser import ExpressStaticAnalyser
from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser

from tests.template.asl_checks import (
    business_catch_problems,
    graph_problems,
    placeholders,
    retry_problems,
    substitution_problems,
    worst_case_seconds,
)
from tests.template.template_support import ASL_PATH, fake_value

# ------------------------------------------------------------------ 4. substitutions


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(substitutions):
    assert substitution_problems(ASL_PATH.read_text(encoding="utf-8"), substitutions) == []
    assert placeholders(ASL_PATH.read_text(encoding="utf-8")), "the ASL should use substitutions at all"


def test_substitution_check_catches_a_missing_and_an_unused_key(substitutions):
    text = ASL_PATH.read_text(encoding="utf-8")
    fewer = {k: v for k, v in substitutions.items() if k != "CheckStockFunctionArn"}
    assert substitution_problems(text, fewer) == [
        "${CheckStockFunctionArn} has no DefinitionSubstitutions key"
    ]
    more = {**substitutions, "Leftover": "x"}
    assert substitution_problems(text, more) == ["DefinitionSubstitutions key Leftover is never used"]


def test_the_workflow_points_at_the_functions_the_template_defines(template, substitutions):
    """Each substitution is resolvable in the template (no typo'd logical id)."""
    for value in substitutions.values():
        fake_value(value, template)


# ------------------------------------------------------------------ 3. the ASL is valid


@pytest.mark.parametrize("analyser", [StaticAnalyser, ExpressStaticAnalyser], ids=["STANDARD", "EXPRESS"])
def test_definition_parses_with_the_step_functions_grammar(deployed_definition, analyser):
    """moto's ASL parser (LocalStack's ANTLR grammar of the spec) accepts it, as either workflow type."""
    assert "${" not in deployed_definition
    analyser().analyse(deployed_definition)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["States"]["CheckStock"]["Retry"][0].update(JitterStrategy="HALF"), "HALF"),
        (lambda d: d["States"]["CheckStock"].update(Nxt="WriteOrder"), "Nxt"),
        (lambda d: d["States"]["CheckStock"]["Retry"][0].update(BackoffRate="2"), '"2"'),
        (lambda d: d["States"]["WriteOrder"].update(Type="Tsak"), "Tsak"),
    ],
    ids=["jitter", "unknown-field", "backoff-type", "state-type"],
)
def test_grammar_check_rejects_broken_definitions(deployed_definition, mutate, expected):
    broken = json.loads(deployed_definition)
    mutate(broken)
    with pytest.raises((ASLParserException, ValueError)) as error:
        StaticAnalyser().analyse(json.dumps(broken))
    assert expected in repr(error.value)


def test_every_state_is_reachable_and_every_transition_exists(asl):
    assert graph_problems(asl) == []


def test_every_task_retries_with_backoff_jitter_and_a_timeout(asl):
    assert retry_problems(asl) == []


def test_business_errors_are_caught_into_the_rejection(asl):
    assert business_catch_problems(asl) == []


BROKEN_COPIES = [
    (
        "unreachable",
        lambda d: d["States"].update(Orphan={"Type": "Succeed"}),
        "Orphan: unreachable from StartAt",
    ),
    (
        "dangling-next",
        lambda d: d["States"]["CheckStock"].update(Next="Nowhere"),
        "'Nowhere', which does not",
    ),
    ("no-next", lambda d: d["States"]["OrderConfirmed"].pop("End"), "OrderConfirmed: neither Next nor End"),
    (
        "no-jitter",
        lambda d: d["States"]["WriteOrder"]["Retry"][0].pop("JitterStrategy"),
        "JitterStrategy is None",
    ),
    ("no-backoff", lambda d: d["States"]["NotifyOrder"]["Retry"][0].pop("BackoffRate"), "no BackoffRate"),
    ("no-timeout", lambda d: d["States"]["ParkNotification"].pop("TimeoutSeconds"), "no TimeoutSeconds"),
    ("no-retry", lambda d: d["States"]["ValidateOrder"].pop("Retry"), "ValidateOrder: no Retry"),
    (
        "lambda-error",
        lambda d: d["States"]["CheckStock"]["Retry"][0]["ErrorEquals"].remove("Lambda.SdkClientException"),
        "CheckStock: does not retry Lambda.SdkClientException",
    ),
    (
        "crash-not-retried",
        lambda d: d["States"]["WriteOrder"]["Retry"][0]["ErrorEquals"].remove("Runtime.ExitError"),
        "WriteOrder: does not retry Runtime.ExitError",
    ),
    (
        "not-idempotent-retried",
        lambda d: d["States"]["NotifyOrder"]["Retry"][0]["ErrorEquals"].append("Sandbox.Timedout"),
        "NotifyOrder: not idempotent, yet retries Sandbox.Timedout",
    ),
    (
        "catch-too-little",
        lambda d: d["States"]["WriteOrder"]["Catch"][0]["ErrorEquals"].remove("OutOfStock"),
        "WriteOrder: catches",
    ),
    (
        "catch-elsewhere",
        lambda d: d["States"]["CheckStock"]["Catch"][0].update(Next="OrderConfirmed"),
        "CheckStock: a business error does not go to OrderRejected",
    ),
    (
        "reject-after-write",
        lambda d: d["States"]["NotifyOrder"]["Catch"].insert(
            0, {"ErrorEquals": ["OutOfStock"], "Next": "OrderRejected"}
        ),
        "reachable after WriteOrder",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [c[1:] for c in BROKEN_COPIES], ids=[c[0] for c in BROKEN_COPIES]
)
def test_structure_checks_catch_broken_copies(asl, mutate, expected):
    broken = copy.deepcopy(asl)
    mutate(broken)
    problems = graph_problems(broken) + retry_problems(broken) + business_catch_problems(broken)
    assert any(expected in problem for problem in problems), problems


def test_the_execution_timeout_outlasts_every_retry_path(asl):
    """ExecutionsTimedOut (alarmed) must mean 'stuck', never a notification cut off mid-retry after
    the order committed: the execution timeout exceeds the longest possible run of all the Tasks."""
    assert asl["TimeoutSeconds"] > worst_case_seconds(asl)
    assert worst_case_seconds(asl) > 300  # the check is not vacuous: 5 Tasks retrying add up
