"""switched_on: the Step Functions Local settings a Runtime installs for its run, undone after it;
parse_time_scale: the one-line error naming where a bad time scale came from. (Reading the options
and the environment is RuntimeConfig's: tests/runtime/test_config.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderflow.runtime.sfn_local import (
    MockConfigError,
    installed_mock_config,
    load_mock_config,
    parse_time_scale,
    switched_on,
    time_scale,
)

VALID = {
    "StateMachines": {"OrderWorkflow": {"TestCases": {"HappyPath": {"CheckStock": "InStock"}}}},
    "MockedResponses": {"InStock": {"0": {"Return": {"inStock": True}}}},
}


def test_nothing_given_installs_nothing() -> None:
    with switched_on(None, None):
        assert installed_mock_config() is None
        assert time_scale.current_time_scale() == 1.0


def test_both_are_installed_for_the_block_and_undone_after(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(VALID))
    config = load_mock_config(str(path))

    with switched_on(config, 0.0):
        assert installed_mock_config() is config
        assert config.test_case("OrderWorkflow", "HappyPath") is not None
        assert time_scale.current_time_scale() == 0.0

    assert installed_mock_config() is None
    assert time_scale.current_time_scale() == 1.0


@pytest.mark.parametrize("raw", ["fast", "-0.5", "nan", "inf"])
def test_bad_time_scale_names_its_source(raw: str) -> None:
    with pytest.raises(MockConfigError) as excinfo:
        parse_time_scale(raw)
    assert str(excinfo.value) == f"ORDERFLOW_TIME_SCALE: expected a non-negative number, got {raw!r}"
    with pytest.raises(MockConfigError, match=r"^--time-scale: "):
        parse_time_scale(raw, "--time-scale")


def test_a_bad_mock_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    broken = json.loads(json.dumps(VALID))
    broken["MockedResponses"]["InStock"]["2"] = {"Return": {}}
    path.write_text(json.dumps(broken))

    with pytest.raises(MockConfigError) as excinfo:
        load_mock_config(str(path))

    assert str(excinfo.value) == (
        f'{path}: MockedResponses.InStock."2": gap before it: attempt 1 is not defined'
        " (attempt ranges must be contiguous)"
    )
    assert installed_mock_config() is None
