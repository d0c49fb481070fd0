"""RuntimeConfig.load: raw inputs checked once, every mistake one ConfigError line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from orderflow.runtime.config import ConfigError, RuntimeConfig

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
Resources: {}
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def test_load_checks_and_freezes(template: Path) -> None:
    (template.parent / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nparameter_overrides = "Stage=dev"\n', encoding="utf-8"
    )
    config = RuntimeConfig.load(template, time_scale="0.5", env={"SFN_MOCK_CONFIG": "mock.json"}, iam=False)
    assert config.parameter_overrides == {"Stage": "dev"}
    assert config.time_scale == 0.5
    assert config.mock_config == "mock.json"
    assert config.iam is False
    assert RuntimeConfig.load(template, parameter_overrides=["Stage=prod"]).parameter_overrides == {
        "Stage": "prod"
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.iam = True  # type: ignore[misc]


def test_time_scale_from_the_environment_when_not_given(template: Path) -> None:
    assert RuntimeConfig.load(template, env={"ORDERFLOW_TIME_SCALE": "0"}).time_scale == 0.0
    assert RuntimeConfig.load(template, time_scale="2", env={"ORDERFLOW_TIME_SCALE": "0"}).time_scale == 2.0
    assert RuntimeConfig.load(template, env={}).time_scale is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"parameter_overrides": ["Stage=qa"]}, "Stage"),
        ({"parameter_overrides": ["Nope=1"]}, "Nope"),
        ({"time_scale": "-1"}, "--time-scale"),
        ({"env": {"ORDERFLOW_TIME_SCALE": "fast"}}, "ORDERFLOW_TIME_SCALE"),
        ({"faults_file": Path("/nonexistent/rules.yaml")}, "--faults /nonexistent/rules.yaml: no such file"),
        ({"aws_port": 5000, "api_port": 5000}, "--aws-port and --api-port are both 5000"),
    ],
)
def test_a_mistake_is_one_config_error_with_lines(template: Path, raw: dict, expected: str) -> None:
    raw.setdefault("env", {})
    with pytest.raises(ConfigError) as caught:
        RuntimeConfig.load(template, **raw)
    assert caught.value.lines and expected in caught.value.lines[0]
    assert str(caught.value) == "\n".join(caught.value.lines)


def test_a_missing_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        RuntimeConfig.load(tmp_path / "nope.yaml", env={})
    assert caught.value.lines == [f"template {tmp_path / 'nope.yaml'} not found (see --template)"]


def test_runtime_takes_the_config_or_keywords_that_build_one(template: Path) -> None:
    from orderflow.runtime import Runtime

    config = RuntimeConfig.load(template, parameter_overrides=["Stage=dev"], stack_name="cfg", env={})
    runtime = Runtime(template, config)
    assert runtime.config is config
    assert (runtime.stack_name, runtime.parameter_overrides) == ("cfg", {"Stage": "dev"})
    assert Runtime(template, stack_name="kw", time_scale=0.0).config == RuntimeConfig(
        stack_name="kw", time_scale=0.0
    )


def test_a_runtime_without_a_session_switches_its_step_functions_local_settings(tmp_path: Path) -> None:
    """Runtime.start switches the time scale and the mock config of its config on, stop off."""
    import json

    from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
    from orderflow.runtime.sfn_local import installed_mock_config
    from orderflow.runtime.sfn_local.time_scale import current_time_scale
    from tests.runtime.runtime_support import FIXTURE_TEMPLATE, running

    switches = {sfn_local_hooks.SFN_TIME_SCALE.name, sfn_local_hooks.SFN_MOCK_CONFIG.name}
    mock = tmp_path / "MockConfigFile.json"
    mock.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {}}), encoding="utf-8")
    assert not switches & set(REGISTRY.active())
    with running(FIXTURE_TEMPLATE, "switched", time_scale=0.0, mock_config=mock, state_dir=tmp_path) as rt:
        assert switches <= set(REGISTRY.active())
        assert current_time_scale() == 0.0
        assert installed_mock_config() is rt.mock_config is not None
    assert not switches & set(REGISTRY.active())
    assert current_time_scale() == 1.0 and installed_mock_config() is None


def test_a_bad_mock_config_fails_the_runtime_start_in_one_line(tmp_path: Path) -> None:
    from orderflow.runtime import Runtime, RuntimeStartError
    from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
    from tests.runtime.runtime_support import FIXTURE_TEMPLATE, free_port

    bad = tmp_path / "MockConfigFile.json"
    bad.write_text("{not json", encoding="utf-8")
    runtime = Runtime(FIXTURE_TEMPLATE, aws_port=free_port(), state_dir=tmp_path, mock_config=bad)
    with pytest.raises(RuntimeStartError) as caught:
        runtime.start()
    assert str(bad) in str(caught.value) and "\n" not in str(caught.value)
    assert sfn_local_hooks.SFN_MOCK_CONFIG.name not in REGISTRY.active()
