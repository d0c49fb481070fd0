"""configure_from_env: SFN_MOCK_CONFIG and ORDERFLOW_TIME_SCALE at start-up, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderflow.runtime.sfn_local import MockConfigError, configure_from_env, installed_mock_config, time_scale

VALID = {
    "StateMachines": {"OrderWorkflow": {"TestCases": {"HappyPath": {"CheckStock": "InStock"}}}},
    "MockedResponses": {"InStock": {"0": {"Return": {"inStock": True}}}},
}


def test_nothing_set_installs_nothing() -> None:
    settings = configure_from_env({})

    assert settings.mock_config is None
    assert settings.time_scale == 1.0
    assert installed_mock_config() is None
    assert time_scale.current_time_scale() == 1.0


def test_both_variables_install_both(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(VALID))

    settings = configure_from_env({"SFN_MOCK_CONFIG": str(path), "ORDERFLOW_TIME_SCALE": "0"})

    assert settings.mock_config is installed_mock_config()
    assert settings.mock_config is not None
    assert settings.mock_config.test_case("OrderWorkflow", "HappyPath") is not None
    assert settings.time_scale == 0.0
    assert time_scale.current_time_scale() == 0.0


@pytest.mark.parametrize("raw", ["fast", "-0.5", "nan", "inf"])
def test_bad_time_scale_names_the_variable(raw: str) -> None:
    with pytest.raises(MockConfigError) as excinfo:
        configure_from_env({"ORDERFLOW_TIME_SCALE": raw})
    assert str(excinfo.value) == f"ORDERFLOW_TIME_SCALE: expected a non-negative number, got {raw!r}"
    assert time_scale.current_time_scale() == 1.0


def test_bad_mock_file_installs_nothing_not_even_the_time_scale(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    broken = json.loads(json.dumps(VALID))
    broken["MockedResponses"]["InStock"]["2"] = {"Return": {}}
    path.write_text(json.dumps(broken))

    with pytest.raises(MockConfigError) as excinfo:
        configure_from_env({"SFN_MOCK_CONFIG": str(path), "ORDERFLOW_TIME_SCALE": "0"})

    assert str(excinfo.value) == (
        f'{path}: MockedResponses.InStock."2": gap before it: attempt 1 is not defined'
        " (attempt ranges must be contiguous)"
    )
    assert installed_mock_config() is None
    assert time_scale.current_time_scale() == 1.0
