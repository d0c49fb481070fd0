"""The runtime's template loader (runtime/cfn_yaml.py) reads every template as cfn-lint's decoder does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.decode import decode

from orderflow.runtime import cfn_yaml
from orderflow.runtime.deploy import load_template
from orderflow.runtime.model import RuntimeStartError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p
    for p in [ROOT / "template.yaml", *ROOT.glob("tests/**/*.yaml"), *ROOT.glob("tests/**/*.yml")]
    if "AWSTemplateFormatVersion" in p.read_text() or "Resources:" in p.read_text()
)


def plain(data: object) -> object:
    return json.loads(json.dumps(data, default=str))


def test_there_are_templates_to_compare() -> None:
    assert ROOT / "template.yaml" in TEMPLATES and len(TEMPLATES) >= 3


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_same_data_as_cfn_lint(path: Path) -> None:
    expected, matches = decode(str(path))
    assert not matches
    assert plain(cfn_yaml.load(path)) == plain(expected)


SHORT_FORMS = """\
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  Prod: !Equals [!Ref Stage, prod]
  Both: !And [!Condition Prod, !Not [!Condition Prod]]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      Tags:
        - Key: a
          Value: !GetAtt Other.Arn.Part
        - Key: b
          Value: !Join ["", [!GetAtt [Other, Arn], !Select [0, !GetAZs ""]]]
        - Key: c
          Value: !If [Prod, !FindInMap [M, !Ref "AWS::Region", k], !Base64 x]
"""


def test_short_forms_as_cloudformation_documents_them(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(SHORT_FORMS)
    loaded = cfn_yaml.load(tmp_path / "t.yaml")
    assert loaded["AWSTemplateFormatVersion"] == "2010-09-09"
    assert loaded["Conditions"]["Prod"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert loaded["Conditions"]["Both"] == {
        "Fn::And": [{"Condition": "Prod"}, {"Fn::Not": [{"Condition": "Prod"}]}]
    }
    tags = loaded["Resources"]["Q"]["Properties"]["Tags"]
    assert tags[0]["Value"] == {"Fn::GetAtt": ["Other", "Arn.Part"]}
    assert tags[1]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": ["Other", "Arn"]}, {"Fn::Select": [0, {"Fn::GetAZs": ""}]}]]
    }
    assert tags[2]["Value"]["Fn::If"][1] == {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]}
    expected, matches = decode(str(tmp_path / "t.yaml"))
    assert not matches and plain(loaded) == plain(expected)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Resources:\n  A: 1\n  A: 2\n", "duplicate key 'A' at line 3"),
        ("Resources: [\n", "does not parse"),
        ('{"Resources": }', "does not parse"),
        ("", "empty template"),
    ],
)
def test_a_template_that_does_not_parse_is_one_line(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(RuntimeStartError) as refused:
        load_template(tmp_path / "t.yaml")
    assert says in str(refused.value) and "\n" not in str(refused.value)
