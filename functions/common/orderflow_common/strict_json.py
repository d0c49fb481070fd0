"""Request bodies, checked strictly before a route sees them.

A body the APIs accept is a JSON object, UTF-8, at most ``MAX_BODY_BYTES``, sent as
``application/json`` (media type compared case-insensitively, parameters allowed; a ``charset`` other
than UTF-8 is refused: JSON is UTF-8). Everything else is refused with one message:

=====================================================================  ======
what                                                                   status
=====================================================================  ======
body over ``MAX_BODY_BYTES``                                           413
no body, or an empty one, where the method carries one                 400
no ``Content-Type``, or one that is not JSON (forms, text, ...)        415
not UTF-8; malformed JSON; ``NaN``/``Infinity``; a duplicate key;      400
an integer literal over ``MAX_INTEGER_DIGITS`` digits; nesting deeper
than ``MAX_DEPTH``; a lone surrogate escape (``"\\ud800"``)
valid JSON that is not an object (array, string, number, null)         400
=====================================================================  ======

Duplicate keys are refused rather than "last one wins": two parsers of the same body (a proxy, a
log pipeline, this function) could otherwise read two different orders.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # an order of 50 lines is ~3 KiB; a user ~0.5 KiB
MAX_DEPTH = 16  # the deepest valid body (an order's items) is 3
MAX_INTEGER_DIGITS = 40  # DynamoDB numbers have 38 significant digits
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON_MEDIA_TYPE = "application/json"


class JsonBodyError(ValueError):
    """The body is not acceptable JSON; the message says why (safe to show to the client)."""


@dataclass(frozen=True)
class BodyProblem:
    status: HTTPStatus
    message: str


def _reject_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON number")


def _checked_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonBodyError(f"an integer literal has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _checked_float(text: str) -> float:
    if len(text) > MAX_INTEGER_DIGITS * 2:
        raise JsonBodyError(f"a number literal is longer than {MAX_INTEGER_DIGITS * 2} characters")
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError(f"the number {text} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonBodyError(f"duplicate key {key[:80]!r}")
        result[key] = value
    return result


def _check_tree(value: Any, limit: int) -> None:
    """Nesting within ``limit``; every string (keys too) encodable as UTF-8: ``"\\ud800"`` is valid
    JSON text but a lone surrogate, which no store or mailer downstream can encode."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _utf8(item)
        elif isinstance(item, dict | list):
            if depth > limit:
                raise JsonBodyError(f"nested deeper than {limit} levels")
            if isinstance(item, dict):
                for key in item:
                    _utf8(key)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonBodyError("a string holds a lone surrogate escape (\\ud800-\\udfff)") from None


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses what :mod:`json` lets through or crashes on. Raises
    :class:`json.JSONDecodeError` (so Powertools' validation maps it to a 400 too) with a message
    that says what is wrong."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("the body is not valid UTF-8", "", exc.start) from None
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_checked_int,
            parse_float=_checked_float,
            object_pairs_hook=_unique_keys,
        )
        _check_tree(value, MAX_DEPTH)
    except json.JSONDecodeError:
        raise
    except JsonBodyError as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, 0) from None
    except ValueError as exc:  # e.g. an integer the interpreter refuses to convert
        raise json.JSONDecodeError(f"unreadable number ({exc})", text, 0) from None
    return value


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value) if value is not None else None
    return None


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """``'Application/JSON; Charset="UTF-8"'`` -> ``('application/json', {'charset': 'utf-8'})``."""
    kind, _, rest = content_type.partition(";")
    parameters: dict[str, str] = {}
    for parameter in rest.split(";"):
        name, equals, value = parameter.partition("=")
        if equals:
            parameters[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def check_request_body(event: Mapping[str, Any]) -> tuple[BodyProblem | None, Any]:
    """For a method that carries a body: the problem with it, or None and the parsed object."""
    raw = event.get("body")
    if raw is None or raw == "":
        return BodyProblem(HTTPStatus.BAD_REQUEST, "a JSON object body is required"), None
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return BodyProblem(HTTPStatus.BAD_REQUEST, "the body is not valid base64"), None
    else:
        data = str(raw).encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        message = f"the body is limited to {MAX_BODY_BYTES} bytes"
        return BodyProblem(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, message), None
    content_type = _header(event.get("headers"), "content-type")
    if content_type is None:
        return BodyProblem(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json"), None
    kind, parameters = media_type(content_type)
    if kind != JSON_MEDIA_TYPE or parameters.get("charset", "utf-8") not in {"utf-8", "utf8"}:
        return BodyProblem(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json"), None
    try:
        value = strict_loads(data)
    except json.JSONDecodeError as exc:
        return BodyProblem(HTTPStatus.BAD_REQUEST, f"malformed JSON body: {exc.msg}"), None
    if not isinstance(value, dict):
        kind_name = "an array" if isinstance(value, list) else f"a JSON {_json_kind(value)}"
        return BodyProblem(HTTPStatus.BAD_REQUEST, f"the body must be a JSON object, not {kind_name}"), None
    return None, value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    return "number"


def normalised_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type header(s) as plain ``application/json`` (Powertools compares
    the header's text case-sensitively) and the body as UTF-8 text."""
    copy = dict(event)
    for field in ("headers", "multiValueHeaders"):
        headers = copy.get(field)
        if not headers:
            continue
        copy[field] = {
            key: (value if key.lower() != "content-type" else _json_value(value))
            for key, value in headers.items()
        }
    if copy.get("isBase64Encoded") and copy.get("body"):
        copy["body"] = base64.b64decode(copy["body"]).decode("utf-8")
        copy["isBase64Encoded"] = False
    return copy


def _json_value(value: Any) -> Any:
    return [JSON_MEDIA_TYPE] if isinstance(value, list) else JSON_MEDIA_TYPE
