"""API Gateway mapping templates, the subset request and response templates of Step Functions
integrations use (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):

``$input.json('<path>')``, ``$input.path('<path>')`` (JSONPath ``$``, ``$.a.b``, ``$.a[0]``),
``$input.body``, ``$input.params('<name>')`` (path, then query string, then header),
``$util.escapeJavaScript(...)``, ``$util.urlEncode(...)``, ``$util.base64Encode(...)``,
``$context.<name>`` (requestId, stage, httpMethod, resourcePath, path, identity.sourceIp,
requestTimeEpoch, accountId, apiId) and ``$stageVariables.<name>``, each also as ``${...}``.

A template with VTL directives (``#set``, ``#if``, ``#foreach``...) is refused with
:class:`UnsupportedTemplate`, so the local API answers 500 and says why instead of sending a request
AWS would not.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from orderflow.errors import OrderflowError

_DIRECTIVE = re.compile(r"(^|[^\\])#(set|if|elseif|else|end|foreach|define|macro|include|parse)\b")
_PATH_TOKEN = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\['([^']*)'\]")


class UnsupportedTemplate(OrderflowError):
    """The template uses what this subset does not evaluate."""


@dataclass
class MappingContext:
    body: bytes
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    context: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)

    def json_body(self) -> Any:
        text = self.body.decode("utf-8", "replace").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnsupportedTemplate(f"the body is not JSON: {exc.msg}") from None


def _select(document: Any, path: str) -> Any:
    if not path.startswith("$"):
        raise UnsupportedTemplate(f"unsupported JSONPath {path!r}")
    rest, value = path[1:], document
    while rest:
        token = _PATH_TOKEN.match(rest)
        if token is None:
            raise UnsupportedTemplate(f"unsupported JSONPath {path!r}")
        rest = rest[token.end() :]
        key = token.group(1) if token.group(1) is not None else token.group(3)
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            index = int(token.group(2))
            value = value[index] if isinstance(value, list) and index < len(value) else None
    return value


def escape_javascript(text: str) -> str:
    """$util.escapeJavaScript: JavaScript string rules - which also escape ``'`` (``\\'``, not valid
    JSON, as in API Gateway)."""
    out = []
    for char in text:
        if char in "\\\"'":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


_EXPRESSION = re.compile(
    r"\$(?:\{)?(?P<name>util\.escapeJavaScript|util\.urlEncode|util\.base64Encode|input\.json|input\.path"
    r"|input\.params|input\.body|context\.[A-Za-z.]+|stageVariables\.[A-Za-z0-9_]+)(?:\})?"
)


def render(template: str, ctx: MappingContext) -> str:
    """``template`` evaluated against the request ``ctx``."""
    if _DIRECTIVE.search(template):
        raise UnsupportedTemplate("VTL directives (#set, #if, #foreach...) are not evaluated locally")
    return _Renderer(template, ctx).run()


class _Renderer:
    def __init__(self, text: str, ctx: MappingContext) -> None:
        self.text, self.ctx, self.pos = text, ctx, 0

    def run(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            match = _EXPRESSION.match(self.text, self.pos) if self.text[self.pos] == "$" else None
            if match is None:
                out.append(self.text[self.pos])
                self.pos += 1
                continue
            out.append(self._value(match))
        return "".join(out)

    def _argument(self) -> str:
        """The parenthesised argument at pos: a quoted literal or a nested expression."""
        text = self.text
        if self.pos >= len(text) or text[self.pos] != "(":
            raise UnsupportedTemplate("a call without its argument")
        self.pos += 1
        if text[self.pos : self.pos + 1] in ("'", '"'):
            quote_char = text[self.pos]
            end = text.index(quote_char, self.pos + 1)
            value = text[self.pos + 1 : end]
            self.pos = end + 1
        elif text[self.pos : self.pos + 1] == ")":
            value = ""
        else:
            inner = _EXPRESSION.match(text, self.pos)
            if inner is None:
                raise UnsupportedTemplate(f"unsupported argument at {text[self.pos : self.pos + 30]!r}")
            value = self._value(inner)
        if text[self.pos : self.pos + 1] != ")":
            raise UnsupportedTemplate("an unclosed call")
        self.pos += 1
        return value

    def _value(self, match: re.Match[str]) -> str:
        name, ctx = match.group("name"), self.ctx
        self.pos = match.end()
        if name == "input.body":
            return ctx.body.decode("utf-8", "replace")
        if name.startswith("context."):
            return str(ctx.context.get(name[len("context.") :], ""))
        if name.startswith("stageVariables."):
            return str(ctx.stage_variables.get(name[len("stageVariables.") :], ""))
        argument = self._argument()
        if name == "input.json":
            return json.dumps(_select(ctx.json_body(), argument or "$"))
        if name == "input.path":
            value = _select(ctx.json_body(), argument or "$")
            return value if isinstance(value, str) else json.dumps(value)
        if name == "input.params":
            for source in (ctx.path_parameters, ctx.query, ctx.headers):
                key = argument.lower() if source is ctx.headers else argument
                if key in source:
                    return source[key]
            return ""
        if name == "util.escapeJavaScript":
            return escape_javascript(argument)
        if name == "util.urlEncode":
            return quote(argument, safe="")
        return base64.b64encode(argument.encode("utf-8")).decode("ascii")  # util.base64Encode
