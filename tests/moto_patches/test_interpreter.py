"""The ASL interpreter's speed-ups (runtime/moto/interpreter.py): one client per service, cached parses
and JSONPaths, JSON copies without deepcopy.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    PASS_MACHINE,
    REGION,
    gap,
)

# ------------------------------------------------------------------------ sfn_inprocess_clients


def check_sfn_inprocess_clients() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    first = lambda_eval_utils.boto_client_for(REGION, "sqs")
    assert lambda_eval_utils.boto_client_for(REGION, "sqs") is first, "one client per (region, service)"


@gap("sfn_inprocess_clients")
def test_sfn_inprocess_clients_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_inprocess_clients()


def test_sfn_inprocess_clients_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_inprocess_clients"):
        check_sfn_inprocess_clients()


# ------------------------------------------------------------------------------ sfn_parse_cache


def check_sfn_parse_cache() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = json.dumps(PASS_MACHINE)
    assert AmazonStateLanguageParser.parse(definition) is AmazonStateLanguageParser.parse(definition)


@gap("sfn_parse_cache")
def test_sfn_parse_cache_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_parse_cache()


def test_sfn_parse_cache_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_parse_cache"):
        check_sfn_parse_cache()


# --------------------------------------------------------------------------- sfn_jsonpath_cache


def check_sfn_jsonpath_cache() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    assert json_path.parse("$.a") is json_path.parse("$.a")


@gap("sfn_jsonpath_cache")
def test_sfn_jsonpath_cache_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_jsonpath_cache()


def test_sfn_jsonpath_cache_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_jsonpath_cache"):
        check_sfn_jsonpath_cache()


# -------------------------------------------------------------------------------- sfn_json_copy


def check_sfn_json_copy() -> None:
    from moto.stepfunctions.parser.asl.eval import states

    assert states.copy.deepcopy is not copy.deepcopy, "JSON documents are copied without deepcopy's memo"
    document: dict[str, Any] = {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True}
    copied: Any = states.copy.deepcopy(document)
    assert copied == document
    copied["a"][1]["b"] = "changed"
    copied["a"].append(2)
    assert document == {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True}, "the copy is independent"


@gap("sfn_json_copy")
def test_sfn_json_copy_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_json_copy()


def test_sfn_json_copy_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_json_copy"):
        check_sfn_json_copy()
