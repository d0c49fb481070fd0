"""What a rule's target receives (runtime/event_input.py), against the examples of
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html and
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html."""

from __future__ import annotations

import json

import pytest

from orderflow.runtime.event_input import InputError, target_input

RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/ec2-state"
EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 2, "tags": ["a", "b"]},
}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state", "count": "$.detail.count"}


def transformed(template: str, paths: dict[str, str] | None = None) -> str:
    target = {
        "InputTransformer": {"InputPathsMap": PATHS if paths is None else paths, "InputTemplate": template}
    }
    return target_input(target, EVENT, RULE_ARN, "ec2-state")


def test_no_input_option_sends_the_whole_event() -> None:
    assert json.loads(target_input({"Id": "t"}, EVENT, RULE_ARN, "ec2-state")) == EVENT


def test_input_is_sent_as_given() -> None:
    assert target_input({"Input": '{"fixed": 1}'}, EVENT, RULE_ARN, "r") == '{"fixed": 1}'


def test_input_path_sends_that_part() -> None:
    assert json.loads(target_input({"InputPath": "$.detail.state"}, EVENT, RULE_ARN, "r")) == "RUNNING"
    assert json.loads(target_input({"InputPath": "$.resources[0]"}, EVENT, RULE_ARN, "r")).endswith(
        "i-abcd1111"
    )


def test_variables_outside_quotes_are_json_values() -> None:
    out = transformed('{"instance": <instance>, "state": [9, <state>, true], "count": <count>}')
    assert json.loads(out) == {"instance": "i-0123456789", "state": [9, "RUNNING", True], "count": 2}


def test_variables_inside_a_json_string_are_text() -> None:
    out = transformed('{"message": "instance <instance> is in <state> (<count>)"}')
    assert json.loads(out) == {"message": "instance i-0123456789 is in RUNNING (2)"}


def test_a_quoted_string_template_is_a_json_string() -> None:
    assert json.loads(transformed('"<instance> is in state <state>"')) == "i-0123456789 is in state RUNNING"


def test_a_plain_text_template_gets_text() -> None:
    assert (
        transformed("instance <instance> is in state <state>") == "instance i-0123456789 is in state RUNNING"
    )


def test_text_inside_a_string_is_escaped() -> None:
    event = dict(EVENT, detail={"note": 'say "hi"\n'})
    target = {
        "InputTransformer": {"InputPathsMap": {"note": "$.detail.note"}, "InputTemplate": '{"n": "<note>"}'}
    }
    assert json.loads(target_input(target, event, RULE_ARN, "r")) == {"n": 'say "hi"\n'}


def test_predefined_variables() -> None:
    out = transformed(
        '{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>",'
        ' "at": "<aws.events.event.ingestion-time>",'
        ' "whole": <aws.events.event.json>, "bare": <aws.events.event>}',
        paths={},
    )
    parsed = json.loads(out)
    assert parsed["rule"] == "ec2-state" and parsed["arn"] == RULE_ARN
    assert parsed["at"] == EVENT["time"]
    assert parsed["whole"] == EVENT
    assert "detail" not in parsed["bare"] and parsed["bare"]["id"] == EVENT["id"]


def test_a_path_that_matches_nothing_is_null() -> None:
    out = transformed('{"missing": <gone>, "text": "x<gone>y"}', paths={"gone": "$.detail.nothing"})
    assert json.loads(out) == {"missing": None, "text": "xy"}


def test_objects_and_wildcards() -> None:
    out = transformed('{"detail": <d>, "tags": <t>}', paths={"d": "$.detail", "t": "$.detail.tags[*]"})
    assert json.loads(out) == {"detail": EVENT["detail"], "tags": ["a", "b"]}


def test_unknown_placeholders_are_left_alone() -> None:
    assert json.loads(transformed('{"html": "<b>bold</b> <state>"}')) == {"html": "<b>bold</b> RUNNING"}


def test_a_predefined_name_cannot_be_redefined() -> None:
    with pytest.raises(InputError, match="predefined"):
        transformed('"<aws.events.rule-name>"', paths={"aws.events.rule-name": "$.id"})


def test_a_bad_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="JSONPath"):
        target_input({"InputPath": "$.[["}, EVENT, RULE_ARN, "r")
