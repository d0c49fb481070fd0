"""A broken MockConfigFile.json stops the flow runtime before it starts, with a one-line message.

These tests never boot a runtime: start_flow_runtime checks the file (sfn_local's loader, then its
test cases against the ASL) before it opens a port or installs anything. If a check were missing,
the runtime would start and the test would fail on the missing error.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.runtime.sfn_local import MockConfigError, installed_mock_config, load_mock_config
from tests.statemachine.flow_support import (
    MOCK_CONFIG,
    STATE_MACHINE_NAME,
    free_port,
    port_free,
    start_flow_runtime,
)

VALID = json.loads(MOCK_CONFIG.read_text(encoding="utf-8"))


def broken(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    edit(document)
    return document


def cases(document: dict[str, Any]) -> dict[str, Any]:
    return document["StateMachines"][STATE_MACHINE_NAME]["TestCases"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            broken(lambda d: cases(d)["HappyPath"].update(CheckStock="CheckStockSucess")),
            f"StateMachines.{json.dumps(STATE_MACHINE_NAME)}.TestCases.HappyPath.CheckStock: mocked response "
            '"CheckStockSucess" is not defined in MockedResponses',
            id="undefined-mocked-response",
        ),
        pytest.param(
            broken(
                lambda d: d["MockedResponses"]["CheckStockServiceErrorAlways"].update({"5": {"Return": {}}})
            ),
            'MockedResponses.CheckStockServiceErrorAlways."5": gap before it: attempt 4 is not defined',
            id="attempt-gap",
        ),
        pytest.param(
            broken(
                lambda d: d.update(StateMachines={"OrderWorkflow": d["StateMachines"][STATE_MACHINE_NAME]})
            ),
            "StateMachines.OrderWorkflow: no deployed state machine has this name "
            f"(deployed: {STATE_MACHINE_NAME})",
            id="state-machine-named-without-the-stack-name",
        ),
        pytest.param(
            broken(lambda d: cases(d)["HappyPath"].update(OrderConfirmed="NotifyOrderSuccess")),
            "TestCases.HappyPath.OrderConfirmed: is a Pass state; only Task states can take mocked responses",
            id="mocked-pass-state",
        ),
        pytest.param(
            broken(lambda d: cases(d)["HappyPath"].update(NotifyCustomer="NotifyOrderSuccess")),
            f"TestCases.HappyPath.NotifyCustomer: state machine {STATE_MACHINE_NAME} "
            "has no state with this name",
            id="unknown-state",
        ),
    ],
)
def test_invalid_mock_config_is_refused_before_the_runtime_starts(
    tmp_path: Path, document: dict[str, Any], message: str
) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    installed_before = installed_mock_config()
    port = free_port()

    with pytest.raises(MockConfigError) as refused:
        start_flow_runtime(path, tmp_path / "state", aws_port=port)

    text = str(refused.value)
    assert text.startswith(f"{path}: "), text  # names the file ...
    assert message in text  # ... and the JSON path of the problem
    assert "\n" not in text
    assert port_free(port)  # nothing started
    assert installed_mock_config() is installed_before  # nothing installed (a running suite keeps its own)


def test_unreadable_json_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text('{\n  "StateMachines": {},\n  "MockedResponses": {,}\n}\n', encoding="utf-8")

    with pytest.raises(MockConfigError, match=r"MockConfigFile\.json: invalid JSON at line 3 column"):
        start_flow_runtime(path, tmp_path / "state", aws_port=free_port())


def test_the_suite_mock_config_passes_the_same_checks() -> None:
    config = load_mock_config(MOCK_CONFIG)

    assert set(config.test_cases) == {STATE_MACHINE_NAME}
    # Every mocked Lambda response has the lambda:invoke shape the ASL's "OutputPath": "$.Payload" reads.
    for name, response in config.mocked_responses.items():
        for attempt in response.ranges:
            payload = getattr(attempt.response, "payload", None)
            if payload is not None and not name.startswith("ParkNotification"):
                assert set(payload) == {"StatusCode", "Payload"}, name
                assert payload["StatusCode"] == 200, name
