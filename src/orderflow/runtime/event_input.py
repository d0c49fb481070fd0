"""What an EventBridge rule hands each target: the event, or its ``Input``, ``InputPath`` or
``InputTransformer`` result, as AWS documents them; and the :class:`Delivery` that carries it.

- Targets: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html (``Input``
  "valid JSON text passed to the target"; ``InputPath`` "the value of the JSONPath that is used for
  extracting part of the matched event"; at most one of Input, InputPath and InputTransformer).
- Input transformation: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
  ``InputPathsMap`` names up to 100 variables, each a JSONPath into the event; ``InputTemplate`` uses
  them as ``<name>``. A variable inside a JSON string is inserted as text (escaped for the string);
  outside one, as JSON (a string gets its quotes). A template that is not JSON (plain text) gets each
  value as text. The predefined ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``,
  ``<aws.events.event.ingestion-time>``, ``<aws.events.event>`` (the event without ``detail``) and
  ``<aws.events.event.json>`` (the whole event) need no path. A path that matches nothing is
  ``null`` (an empty string inside a JSON string).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from orderflow.errors import OrderflowError

PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
_VARIABLE = re.compile(r"<([A-Za-z0-9_.\-]+)>")


class InputError(OrderflowError, ValueError):
    """A target's input cannot be made from this event (a bad JSONPath, a template that is not JSON)."""


@dataclass(frozen=True)
class Delivery:
    """One matched event for one target of a rule: what EventBridge sends it, and as whom."""

    rule_arn: str
    target_id: str
    arn: str  # the target's ARN (state machine, function, queue, topic)
    input: str  # the text the target receives
    role_arn: str | None = None  # the target's RoleArn (Step Functions: StartExecution as this role)
    message_group_id: str | None = None  # SqsParameters.MessageGroupId (FIFO queues)


def _path_value(event: dict[str, Any], path: str) -> Any:
    try:
        matches = [match.value for match in parse_jsonpath(path).find(event)]
    except (JsonPathParserError, Exception) as exc:  # jsonpath_ng raises plain Exceptions too
        raise InputError(f"invalid JSONPath {path!r}: {exc}") from None
    if not matches:
        return None
    if len(matches) == 1 and "*" not in path:
        return matches[0]
    return matches


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """The text a rule's ``target`` receives for ``event`` (its ``time`` an ISO 8601 string)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        return json.dumps(_path_value(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        return transform(transformer, event, rule_arn, rule_name)
    return json.dumps(event)


def transform(transformer: dict[str, Any], event: dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """``InputTransformer``: the ``InputTemplate`` with its ``<variables>`` replaced."""
    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        if name in PREDEFINED:
            raise InputError(f"InputPathsMap may not define the predefined variable {name}")
        values[name] = _path_value(event, path)
    without_detail = {key: value for key, value in event.items() if key != "detail"}
    raw = {  # inserted as JSON text as they are, wherever they stand
        "aws.events.event": json.dumps(without_detail),
        "aws.events.event.json": json.dumps(event),
    }
    values["aws.events.rule-arn"] = rule_arn
    values["aws.events.rule-name"] = rule_name
    values["aws.events.event.ingestion-time"] = event.get("time")
    template = str(transformer.get("InputTemplate", ""))
    is_json = template.strip()[:1] in ("{", "[", '"')
    out: list[str] = []
    in_string = False
    escaped = False
    i = 0
    while i < len(template):
        char = template[i]
        if char == "<":
            match = _VARIABLE.match(template, i)
            if match and (match.group(1) in values or match.group(1) in raw):
                name = match.group(1)
                out.append(_rendered(name, values, raw, is_json=is_json, in_string=in_string))
                i = match.end()
                continue
        if is_json:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
        out.append(char)
        i += 1
    return "".join(out)


def _rendered(
    name: str, values: dict[str, Any], raw: dict[str, str], *, is_json: bool, in_string: bool
) -> str:
    if name in raw:
        return raw[name]
    value = values[name]
    if not is_json:  # a plain-text template: the value as text
        return "" if value is None else value if isinstance(value, str) else json.dumps(value)
    if in_string:  # inside a JSON string: as text, escaped for the string
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]
    return json.dumps(value)
