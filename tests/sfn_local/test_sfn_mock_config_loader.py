"""load_mock_config: Step Functions Local's file format, strictly validated; errors name the place."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime.sfn_local import MockConfigError
from orderflow.runtime.sfn_local.mock_config import (
    ReturnResponse,
    ThrowResponse,
    load_mock_config,
    parse_mock_config,
    validate_against_definitions,
)

# The shape of AWS's documented example (LambdaSQSIntegration), with orderflow-like names.
VALID: dict[str, Any] = {
    "StateMachines": {
        "OrderWorkflow": {
            "TestCases": {
                "HappyPath": {"CheckStock": "StockOk", "ChargePayment": "Charged"},
                "RetryPath": {"CheckStock": "CheckStockThrottled"},
                "HybridPath": {},
            }
        }
    },
    "MockedResponses": {
        "StockOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"inStock": True}}}},
        "Charged": {"0": {"Return": "any JSON value"}},
        "CheckStockThrottled": {
            "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}},
            "1-2": {"Throw": {"Error": "Lambda.ServiceException"}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"inStock": True}}},
        },
    },
}


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_valid_file_is_loaded_with_its_test_cases_and_attempt_ranges(tmp_path: Path) -> None:
    config = load_mock_config(write(tmp_path, VALID))

    assert config.source == str(tmp_path / "MockConfigFile.json")
    happy = config.test_case("OrderWorkflow", "HappyPath")
    assert happy is not None
    assert dict(happy.states) == {"CheckStock": "StockOk", "ChargePayment": "Charged"}
    assert config.test_case("OrderWorkflow", "HybridPath") is not None
    assert config.test_case("OrderWorkflow", "Nope") is None
    assert config.test_case("Other", "HappyPath") is None

    throttled = config.mocked_responses["CheckStockThrottled"]
    assert [(r.key, r.start, r.end) for r in throttled.ranges] == [("0", 0, 0), ("1-2", 1, 2), ("3", 3, 3)]
    assert throttled.attempts == 4
    assert throttled.response_for(0) == ThrowResponse("Lambda.TooManyRequestsException", "Rate exceeded")
    assert throttled.response_for(2) == ThrowResponse("Lambda.ServiceException", "")
    assert throttled.response_for(3) == ReturnResponse({"StatusCode": 200, "Payload": {"inStock": True}})
    assert throttled.response_for(4) is None
    assert config.mocked_responses["Charged"].response_for(0) == ReturnResponse("any JSON value")


def test_ranges_may_be_declared_out_of_order(tmp_path: Path) -> None:
    document = copy.deepcopy(VALID)
    document["MockedResponses"]["CheckStockThrottled"] = {
        "3": {"Return": {}},
        "0": {"Throw": {"Error": "E"}},
        "1-2": {"Throw": {"Error": "E"}},
    }
    config = load_mock_config(write(tmp_path, document))
    assert [r.key for r in config.mocked_responses["CheckStockThrottled"].ranges] == ["0", "1-2", "3"]


def mutate(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    change(document)
    return document


def set_responses(name: str, entries: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        document["MockedResponses"][name] = entries

    return change


F = "MockConfigFile.json: "
CASES = "StateMachines.OrderWorkflow.TestCases"

INVALID = [
    pytest.param(
        set_responses(
            "CheckStockThrottled",
            {"0": {"Return": {}}, "1-3": {"Throw": {"Error": "E"}}, "2": {"Return": {}}},
        ),
        F + 'MockedResponses.CheckStockThrottled."1-3": overlaps "2"',
        id="overlapping-ranges",
    ),
    pytest.param(
        set_responses("CheckStockThrottled", {"0-2": {"Return": {}}, "1": {"Return": {}}}),
        F + 'MockedResponses.CheckStockThrottled."0-2": overlaps "1"',
        id="range-containing-another",
    ),
    pytest.param(
        set_responses("CheckStockThrottled", {"0": {"Return": {}}, "3": {"Return": {}}}),
        F + 'MockedResponses.CheckStockThrottled."3": gap before it: attempts 1-2 are not defined'
        " (attempt ranges must be contiguous)",
        id="gap",
    ),
    pytest.param(
        set_responses("CheckStockThrottled", {"0-1": {"Return": {}}, "3-4": {"Return": {}}}),
        F + 'MockedResponses.CheckStockThrottled."3-4": gap before it: attempt 2 is not defined'
        " (attempt ranges must be contiguous)",
        id="gap-of-one",
    ),
    pytest.param(
        set_responses("CheckStockThrottled", {"1": {"Return": {}}, "2": {"Return": {}}}),
        F + 'MockedResponses.CheckStockThrottled."1": attempts must start at "0" (attempt 0 is not defined)',
        id="not-starting-at-0",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Return": {}, "Throw": {"Error": "E", "Cause": "c"}}}),
        F + 'MockedResponses.StockOk."0": has both "Return" and "Throw" (use exactly one)',
        id="both-return-and-throw",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {}}),
        F + 'MockedResponses.StockOk."0": needs "Return" or "Throw"',
        id="neither-return-nor-throw",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Throw": {"Cause": "no error"}}}),
        F + 'MockedResponses.StockOk."0".Throw: missing required key "Error"',
        id="throw-without-error",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Throw": {"Error": ""}}}),
        F + 'MockedResponses.StockOk."0".Throw.Error: must be a non-empty string',
        id="throw-with-empty-error",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Throw": {"Error": "E", "Cause": 42}}}),
        F + 'MockedResponses.StockOk."0".Throw.Cause: must be a string, got a number',
        id="throw-with-non-string-cause",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Throw": {"Error": "E", "Message": "m"}}}),
        F + 'MockedResponses.StockOk."0".Throw: unknown key "Message" (expected "Error" or "Cause")',
        id="unknown-key-in-throw",
    ),
    pytest.param(
        set_responses("StockOk", {"0": {"Retrun": {}}}),
        F + 'MockedResponses.StockOk."0": unknown key "Retrun" (expected "Return" or "Throw")',
        id="unknown-key-in-response",
    ),
    pytest.param(
        set_responses("StockOk", {"first": {"Return": {}}}),
        F + 'MockedResponses.StockOk.first: attempt key must be "N" or "N-M" (e.g. "0", "1-2")',
        id="attempt-key-not-a-number",
    ),
    pytest.param(
        set_responses("StockOk", {"2-1": {"Return": {}}}),
        F + 'MockedResponses.StockOk."2-1": range ends (1) before it starts (2)',
        id="reversed-range",
    ),
    pytest.param(
        set_responses("StockOk", {}),
        F + 'MockedResponses.StockOk: defines no attempts (add at least "0")',
        id="no-attempts",
    ),
    pytest.param(
        set_responses("StockOk", [{"Return": {}}]),
        F + "MockedResponses.StockOk: expected an object, got an array",
        id="response-not-an-object",
    ),
    pytest.param(
        lambda d: d["StateMachines"]["OrderWorkflow"]["TestCases"]["HappyPath"].update(CheckStock="Nope"),
        F + CASES + '.HappyPath.CheckStock: mocked response "Nope" is not defined in MockedResponses',
        id="test-case-names-missing-response",
    ),
    pytest.param(
        lambda d: d["StateMachines"]["OrderWorkflow"]["TestCases"]["HappyPath"].update(
            CheckStock=["StockOk"]
        ),
        F + CASES + ".HappyPath.CheckStock: expected the name of a mocked response, got an array",
        id="test-case-value-not-a-string",
    ),
    pytest.param(
        lambda d: d["StateMachines"]["OrderWorkflow"].update(Comment="x"),
        F + 'StateMachines.OrderWorkflow: unknown key "Comment" (expected "TestCases")',
        id="unknown-key-in-state-machine",
    ),
    pytest.param(
        lambda d: d["StateMachines"].update(Other={}),
        F + 'StateMachines.Other: missing required key "TestCases"',
        id="state-machine-without-test-cases",
    ),
    pytest.param(
        lambda d: d.update(MockedResponse={}),
        F + 'top level: unknown key "MockedResponse" (expected "StateMachines" or "MockedResponses")',
        id="unknown-top-level-key",
    ),
    pytest.param(
        lambda d: d.pop("MockedResponses"),
        F + 'top level: missing required key "MockedResponses"',
        id="missing-top-level-key",
    ),
]


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_invalid_file_is_rejected_naming_the_place(tmp_path: Path, change: Any, message: str) -> None:
    path = write(tmp_path, mutate(change))
    with pytest.raises(MockConfigError) as excinfo:
        load_mock_config(path)
    assert str(excinfo.value) == message.replace("MockConfigFile.json", str(path), 1)
    assert "\n" not in str(excinfo.value)


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "StateMachines": {}\n  "MockedResponses": {}\n}')
    with pytest.raises(MockConfigError) as excinfo:
        load_mock_config(path)
    assert str(excinfo.value) == f"{path}: invalid JSON at line 3 column 3: Expecting ',' delimiter"


def test_duplicate_keys_are_rejected_not_silently_overwritten() -> None:
    text = '{"StateMachines": {}, "MockedResponses": {"A": {"0": {"Return": 1}, "0": {"Return": 2}}}}'
    with pytest.raises(MockConfigError, match=r'^MockConfigFile.json: MockedResponses.A: duplicate key "0"$'):
        parse_mock_config(text)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(MockConfigError, match=r"^f.json: top level: expected an object, got an array$"):
        parse_mock_config("[]", source="f.json")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(MockConfigError) as excinfo:
        load_mock_config(path)
    assert str(excinfo.value) == f"{path}: cannot read the mock configuration file: No such file or directory"


def test_state_names_with_dots_or_spaces_are_quoted_in_the_path() -> None:
    document = mutate(
        lambda d: d["StateMachines"]["OrderWorkflow"]["TestCases"].update(
            {"Edge case": {"Check.Stock": "Nope"}}
        )
    )
    with pytest.raises(MockConfigError) as excinfo:
        parse_mock_config(json.dumps(document))
    assert str(excinfo.value).startswith(f'MockConfigFile.json: {CASES}."Edge case"."Check.Stock": ')


# ---- validation against deployed definitions ------------------------------------------------------

DEFINITION = {
    "StartAt": "CheckStock",
    "States": {
        "CheckStock": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Fanout"},
        "Fanout": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "ChargePayment",
                    "States": {
                        "ChargePayment": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "End": True,
                        }
                    },
                }
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_definitions_check_accepts_task_states_also_nested_in_parallel_branches() -> None:
    config = parse_mock_config(json.dumps(VALID))
    validate_against_definitions(config, {"OrderWorkflow": json.dumps(DEFINITION)})


def test_definitions_check_rejects_a_state_that_does_not_exist() -> None:
    definition = copy.deepcopy(DEFINITION)
    definition["States"]["Fanout"]["Branches"][0]["States"] = {"Pay": {"Type": "Task", "End": True}}
    config = parse_mock_config(json.dumps(VALID))
    with pytest.raises(MockConfigError) as excinfo:
        validate_against_definitions(config, {"OrderWorkflow": definition})
    assert str(excinfo.value) == (
        f"MockConfigFile.json: {CASES}.HappyPath.ChargePayment: "
        "state machine OrderWorkflow has no state with this name"
    )


def test_definitions_check_rejects_mocking_a_state_that_is_not_a_task() -> None:
    document = mutate(
        lambda d: d["StateMachines"]["OrderWorkflow"]["TestCases"].update(Odd={"Done": "StockOk"})
    )
    with pytest.raises(MockConfigError) as excinfo:
        validate_against_definitions(parse_mock_config(json.dumps(document)), {"OrderWorkflow": DEFINITION})
    assert str(excinfo.value) == (
        f"MockConfigFile.json: {CASES}.Odd.Done: "
        "is a Succeed state; only Task states can take mocked responses"
    )


def test_definitions_check_skips_or_requires_undeployed_state_machines() -> None:
    config = parse_mock_config(json.dumps(VALID))
    validate_against_definitions(config, {"Another": DEFINITION})
    with pytest.raises(MockConfigError) as excinfo:
        validate_against_definitions(config, {"Another": DEFINITION}, require_state_machines=True)
    assert str(excinfo.value) == (
        "MockConfigFile.json: StateMachines.OrderWorkflow: "
        "no deployed state machine has this name (deployed: Another)"
    )
