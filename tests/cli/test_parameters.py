"""Template parameters as SAM CLI takes them: both override syntaxes, samconfig.toml, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderflow.cli import main
from orderflow.parameters import ParameterError, parse_overrides, samconfig_overrides, validate
from orderflow.ports import free_port
from orderflow.runtime.deploy import load_template

ROOT = Path(__file__).resolve().parents[2]
DECLARED = load_template(ROOT / "template.yaml")["Parameters"]


def test_both_sam_cli_forms_are_read() -> None:
    assert parse_overrides(
        ["WorkflowType=EXPRESS", "ParameterKey=LogLevel,ParameterValue=DEBUG", "SenderEmail=a=b@example.com"]
    ) == {"WorkflowType": "EXPRESS", "LogLevel": "DEBUG", "SenderEmail": "a=b@example.com"}


def test_a_token_without_a_value_is_refused() -> None:
    with pytest.raises(ParameterError) as refused:
        parse_overrides(["WorkflowType", "=x"])
    assert len(refused.value.lines) == 2


def test_samconfig_env_then_global(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text(
        "version = 0.1\n[default.deploy.parameters]\n"
        'parameter_overrides = "LogLevel=DEBUG ApiStageName=\\"v2\\""\n'
        '[dev.global.parameters]\nparameter_overrides = ["WorkflowType=EXPRESS"]\n'
    )
    assert samconfig_overrides(config) == {"LogLevel": "DEBUG", "ApiStageName": "v2"}
    assert samconfig_overrides(config, "dev") == {"WorkflowType": "EXPRESS"}
    with pytest.raises(ParameterError, match="no config env 'prod' \\(known: default, dev\\)"):
        samconfig_overrides(config, "prod")
    assert samconfig_overrides(tmp_path / "missing.toml") == {}


def test_the_repository_samconfig_has_no_overrides() -> None:
    assert samconfig_overrides(ROOT / "samconfig.toml") == {}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"WorkflowType": "SLOW"}, "parameter WorkflowType='SLOW': not one of STANDARD, EXPRESS"),
        ({"Nope": "1"}, "parameter Nope is not declared in the template"),
        ({"TableReadCapacity": "0"}, "parameter TableReadCapacity='0': below MinValue 1"),
        ({"OrderRetentionDays": "many"}, "parameter OrderRetentionDays='many': not a number"),
        ({"SenderEmail": "nobody"}, "parameter SenderEmail='nobody': does not match AllowedPattern"),
    ],
)
def test_values_the_template_does_not_accept_are_refused(values: dict[str, str], expected: str) -> None:
    with pytest.raises(ParameterError) as refused:
        validate(DECLARED, values)
    assert refused.value.lines[0].startswith(expected)


def test_valid_values_pass() -> None:
    validate(DECLARED, {"WorkflowType": "EXPRESS", "TableReadCapacity": "10", "SenderEmail": "a@b.example"})


def test_up_reports_every_bad_override_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["up", "--template", str(ROOT / "template.yaml"), "--aws-port", str(free_port())]
    argv += ["--api-port", str(free_port()), "--parameter-overrides", "WorkflowType=SLOW", "Nope=1"]
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "orderflow up: parameter WorkflowType='SLOW': not one of STANDARD, EXPRESS",
        lines[1],
    ]
    assert lines[1].startswith("orderflow up: parameter Nope is not declared in the template")


def test_demo_takes_the_same_overrides_and_refuses_bad_ones_before_booting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["demo", "--template", str(ROOT / "template.yaml"), "--aws-port", str(free_port())]
    argv += ["--api-port", str(free_port()), "--parameter-overrides", "WorkflowType=SLOW"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "orderflow demo: parameter WorkflowType='SLOW': not one of STANDARD, EXPRESS"
    ]
    assert "booting" not in captured.out


def test_up_help_shows_defaults_and_the_region_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["up", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 4566)" in out
    assert "$AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1" in out


def test_a_samconfig_without_a_default_env_applies_nothing(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text('version = 0.1\n[prod.deploy.parameters]\nparameter_overrides = "LogLevel=ERROR"\n')
    assert samconfig_overrides(config) == {}
    assert samconfig_overrides(config, "prod") == {"LogLevel": "ERROR"}
