"""cfn-lint before deploy: errors and warnings told apart, each one line with its place."""

from __future__ import annotations

from pathlib import Path

from orderflow.runtime.lint import TemplateLint

WARNING_ONLY = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Unused:
    Type: String
Resources:
  Queue:
    Type: AWS::SQS::Queue
"""

WITH_ERROR = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: soon
"""


def test_errors_stop_and_warnings_only_warn(tmp_path: Path) -> None:
    (tmp_path / "warn.yaml").write_text(WARNING_ONLY)
    (tmp_path / "error.yaml").write_text(WITH_ERROR)
    warn, error = (
        TemplateLint(tmp_path / "warn.yaml", "us-east-1"),
        TemplateLint(tmp_path / "error.yaml", "us-east-1"),
    )
    warned = warn.findings()
    assert warned.errors == []
    assert [w.split(" ", 2)[:2] for w in warned.warnings] == [["warn.yaml:3:3:", "W2001"]]
    failed = error.findings()
    assert len(failed.errors) == 1
    assert failed.errors[0].startswith("error.yaml:6:7: E3012 ")
    assert "soon" in failed.errors[0]


def test_findings_are_kept_per_template_hash(tmp_path: Path) -> None:
    """A start on a template already linted reads the findings back and starts no cfn-lint process;
    a changed template (or region) is linted again."""
    template, cache = tmp_path / "error.yaml", tmp_path / "cache"
    template.write_text(WITH_ERROR)
    first = TemplateLint(template, "us-east-1", cache=cache)
    assert first.cached is None
    linted = first.findings()
    again = TemplateLint(template, "us-east-1", cache=cache)
    assert again.cached == linted and again.findings() == linted
    assert again._proc is None  # nothing started
    other_region = TemplateLint(template, "eu-west-1", cache=cache)
    assert other_region.cached is None
    other_region.cancel()
    template.write_text(WARNING_ONLY)
    changed = TemplateLint(template, "us-east-1", cache=cache)
    assert changed.cached is None and changed._proc is not None  # linted again
    changed.cancel()


def test_a_cfn_lint_that_did_not_run_is_not_kept(tmp_path: Path) -> None:
    template, cache = tmp_path / "t.yaml", tmp_path / "cache"
    template.write_text(WARNING_ONLY)
    lint = TemplateLint(template, "us-east-1", cache=cache)
    assert lint._proc is not None
    lint._proc.kill()  # cfn-lint killed: no findings, a failure of its own
    assert lint.findings().errors[0].startswith("cfn-lint could not check the template")
    assert TemplateLint(template, "us-east-1", cache=cache).cached is None
