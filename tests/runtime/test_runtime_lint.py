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
