"""Conformance: every intrinsic function, each with the example of "Intrinsic functions for JSONPath
states in Step Functions" (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html):
the documented input, the documented call, the documented result.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from tests.conformance.harness import Conformance

NINE = [1, 2, 3, 4, 5, 6, 7, 8, 9]

CASES: list[tuple[str, Any, str, Any]] = [
    (
        "States.Format",
        {"name": "Arnav"},
        "States.Format('Hello, my name is {}.', $.name)",
        "Hello, my name is Arnav.",
    ),
    (
        "States.StringToJson",
        {"escapedJsonString": '{"foo": "bar"}'},
        "States.StringToJson($.escapedJsonString)",
        {"foo": "bar"},
    ),
    (
        "States.JsonToString",
        {"unescapedJson": {"foo": "bar"}},
        "States.JsonToString($.unescapedJson)",
        '{"foo":"bar"}',
    ),
    ("States.Array", {"Id": 123456}, "States.Array($.Id)", [123456]),
    (
        "States.ArrayPartition",
        {"inputArray": NINE},
        "States.ArrayPartition($.inputArray,4)",
        [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
    ),
    (
        "States.ArrayContains",
        {"inputArray": NINE, "lookingFor": 5},
        "States.ArrayContains($.inputArray, $.lookingFor)",
        True,
    ),
    ("States.ArrayRange", {}, "States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
    (
        "States.ArrayGetItem",
        {"inputArray": NINE, "index": 5},
        "States.ArrayGetItem($.inputArray, $.index)",
        6,
    ),
    ("States.ArrayLength", {"inputArray": NINE}, "States.ArrayLength($.inputArray)", 9),
    (
        "States.ArrayUnique",
        {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
        "States.ArrayUnique($.inputArray)",
        [1, 2, 3, 4],
    ),
    (
        "States.Base64Encode",
        {"input": "Data to encode"},
        "States.Base64Encode($.input)",
        "RGF0YSB0byBlbmNvZGU=",
    ),
    (
        "States.Base64Decode",
        {"base64": "RGF0YSB0byBlbmNvZGU="},
        "States.Base64Decode($.base64)",
        "Data to encode",
    ),
    (
        "States.Hash",
        {"Data": "input data", "Algorithm": "SHA-1"},
        "States.Hash($.Data, $.Algorithm)",
        hashlib.sha1(b"input data").hexdigest(),
    ),
    (
        "States.JsonMerge",
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        "States.JsonMerge($.json1, $.json2, false)",
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
    ),
    ("States.MathAdd", {"value1": 111, "step": -1}, "States.MathAdd($.value1, $.step)", 110),
    (
        "States.StringSplit",
        {"inputString": "1,2,3,4,5", "splitter": ","},
        "States.StringSplit($.inputString, $.splitter)",
        ["1", "2", "3", "4", "5"],
    ),
]


def intrinsic_machine(expression: str) -> dict[str, Any]:
    return {
        "StartAt": "F",
        "States": {"F": {"Type": "Pass", "Parameters": {"value.$": expression}, "End": True}},
    }


@pytest.mark.parametrize(("name", "payload", "expression", "documented"), CASES, ids=[c[0] for c in CASES])
def test_intrinsic(aws: Conformance, name: str, payload: Any, expression: str, documented: Any) -> None:
    done = aws.run(intrinsic_machine(expression), payload)
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == {"value": documented}


def test_math_random_in_range(aws: Conformance) -> None:
    """States.MathRandom($.start, $.end): a random integer between start (inclusive) and end (exclusive)."""
    done = aws.run(intrinsic_machine("States.MathRandom($.start, $.end)"), {"start": 1, "end": 999})
    assert done.status == "SUCCEEDED"
    assert isinstance(done.output["value"], int) and 1 <= done.output["value"] < 999


def test_uuid_is_a_version_4_uuid(aws: Conformance) -> None:
    """States.UUID(): "a version 4 universally unique identifier (v4 UUID)"."""
    done = aws.run(intrinsic_machine("States.UUID()"), {})
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", done.output["value"]
    )
