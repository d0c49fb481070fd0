"""A CloudFormation/SAM template file -> plain Python data, with the short-form tags (``!Ref``...).

What cfn-lint's decoder (``cfnlint.decode.decode``) returns for a template, without importing
cfn-lint: its package pulls in its rules, sympy and networkx, about a fifth of the ``orderflow up``
process's import time, for a YAML loader. (cfn-lint itself still checks the template, in a process
of its own: lint.py.) tests/runtime/test_cfn_yaml.py checks both agree on every template here.

The short forms are those of the CloudFormation docs (Intrinsic function reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
``!Ref x`` is ``{"Ref": x}``, ``!Condition x`` is ``{"Condition": x}``, every other ``!Name v`` is
``{"Fn::Name": v}``; ``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}`` (split at the first dot).
A key that appears twice in one mapping is an error, as with cfn-lint (and CloudFormation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from orderflow.errors import OrderflowError

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TemplateError(OrderflowError, ValueError):
    """The file is not a template's YAML/JSON; the message is one line."""


class _Loader(_Base):
    pass


def _mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            mark = key_node.start_mark
            raise TemplateError(f"duplicate key {key!r} at line {mark.line + 1}, column {mark.column + 1}")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _tagged(loader: Any, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = _mapping(loader, node)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


def _timestamp_as_text(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))  # AWSTemplateFormatVersion: 2010-09-09 stays a string


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_multi_constructor("!", _tagged)


def load(path: Path) -> Any:
    """The template at ``path`` (YAML or JSON) as plain data; TemplateError when it does not parse."""
    text = path.read_text(encoding="utf-8")
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader with the CFN tags only
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except yaml.YAMLError as exc:
        raise TemplateError(" ".join(str(exc).split())) from None
