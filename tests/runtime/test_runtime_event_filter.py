"""Lambda FilterCriteria patterns (the subset documented in orderflow.runtime.event_filter)."""

from __future__ import annotations

import pytest

from orderflow.runtime.event_filter import matches, matches_any, parse_filter_criteria


def ddb(event_name: str, **new_image: dict[str, str]) -> dict:
    record: dict = {"eventName": event_name, "dynamodb": {"Keys": {"id": {"S": "1"}}}}
    if new_image:
        record["dynamodb"]["NewImage"] = new_image
    return record


def test_exact_values_and_nested_keys() -> None:
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["active"]}}}}
    assert matches(pattern, ddb("INSERT", status={"S": "active"}))
    assert matches(pattern, ddb("MODIFY", status={"S": "active"}))
    assert not matches(pattern, ddb("REMOVE", status={"S": "active"}))
    assert not matches(pattern, ddb("INSERT", status={"S": "suspended"}))
    assert not matches(pattern, ddb("INSERT"))


def test_prefix_suffix_and_ignore_case() -> None:
    assert matches({"k": [{"prefix": "ab"}]}, {"k": "abc"})
    assert not matches({"k": [{"prefix": "ab"}]}, {"k": "xabc"})
    assert matches({"k": [{"suffix": ".png"}]}, {"k": "a.png"})
    assert matches({"k": [{"equals-ignore-case": "Alice"}]}, {"k": "ALICE"})


def test_exists() -> None:
    assert matches({"k": [{"exists": True}]}, {"k": "v"})
    assert not matches({"k": [{"exists": True}]}, {})
    assert matches({"k": [{"exists": False}]}, {})
    assert not matches({"k": [{"exists": False}]}, {"k": "v"})
    assert matches({"dynamodb": {"OldImage": {"x": [{"exists": False}]}}}, ddb("INSERT"))


def test_anything_but() -> None:
    assert matches({"k": [{"anything-but": ["a", "b"]}]}, {"k": "c"})
    assert not matches({"k": [{"anything-but": ["a", "b"]}]}, {"k": "a"})
    assert not matches({"k": [{"anything-but": "a"}]}, {"k": "a"})
    assert matches({"k": [{"anything-but": {"prefix": "tmp-"}}]}, {"k": "real"})
    assert not matches({"k": [{"anything-but": {"prefix": "tmp-"}}]}, {"k": "tmp-1"})
    assert not matches({"k": [{"anything-but": "a"}]}, {}), "anything-but needs the field"


def test_numeric_and_types() -> None:
    assert matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5})
    assert matches({"n": [{"numeric": [">", 0]}]}, {"n": "3"}), "DynamoDB numbers are strings"
    assert not matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 6})
    assert matches({"n": [1]}, {"n": 1.0})
    assert not matches({"b": [True]}, {"b": 1})
    assert matches({"b": [None]}, {"b": None})


def test_list_values_match_any_element() -> None:
    assert matches({"tags": ["red"]}, {"tags": ["blue", "red"]})


def test_filter_criteria_are_ored_and_empty_keeps_everything() -> None:
    patterns = parse_filter_criteria(
        {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}, {"Pattern": '{"eventName": ["REMOVE"]}'}]}
    )
    assert matches_any(patterns, ddb("INSERT"))
    assert matches_any(patterns, ddb("REMOVE"))
    assert not matches_any(patterns, ddb("MODIFY"))
    assert matches_any(parse_filter_criteria(None), ddb("MODIFY"))


@pytest.mark.parametrize(
    "pattern",
    ['{"k": [{"wildcard": "a*"}]}', '{"$or": [{"a": [1]}]}', '{"k": "scalar"}', "[1]"],
)
def test_unsupported_patterns_fail_loudly(pattern: str) -> None:
    with pytest.raises(ValueError):
        parse_filter_criteria({"Filters": [{"Pattern": pattern}]})
