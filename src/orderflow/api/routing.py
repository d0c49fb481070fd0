"""Route tables for the local API Gateway: the template's paths as werkzeug ``Map``/``Rule``.

API Gateway's path templates become werkzeug rules: ``{param}`` -> ``<param>`` (one segment, not
empty), ``{proxy+}`` -> ``<path:proxy>`` (the rest of the path, at least one segment; last only).
Matching follows API Gateway REST APIs, which is also werkzeug's order: a literal segment beats a
``{param}`` segment, which beats a greedy ``{proxy+}``; ``ANY`` matches every method but an explicit
method wins over it (its rule comes first). One trailing slash is ignored. Segments are matched
before percent-decoding (``%2F`` stays inside a parameter) and parameters are decoded after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

_PARAM = re.compile(r"^\{([A-Za-z0-9_.\-]+)(\+?)\}$")


class RouteLike(Protocol):
    method: str
    path: str
    function_name: str  # a Lambda proxy route's function; its ``integration`` (if any) otherwise


@dataclass(frozen=True)
class Route:
    method: str  # upper case; "ANY" for every method
    resource: str  # the template, e.g. /users/{userId}
    function_name: str
    integration: Any = None  # a Step Functions integration (orderflow.runtime.model.StatesIntegration)
    http_api: Any = None  # an HTTP API's route (orderflow.runtime.model.HttpApiRoute)


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    def __init__(self, routes: list[RouteLike]) -> None:
        self.routes: list[Route] = []
        rules: list[tuple[bool, int, Rule]] = []
        # werkzeug's variable names must be identifiers; API Gateway's may have "." and "-"
        self._param_names: list[dict[str, str]] = []
        # HTTP APIs' ``$default`` routes: (stage prefix or "", route), when nothing else matches
        self._defaults: list[tuple[str, Route]] = []
        for route in routes:
            http_api = getattr(route, "http_api", None)
            # an HTTP API's named stage is part of its paths; its $default stage is not
            prefix = f"/{http_api.stage}" if http_api is not None and http_api.stage != "$default" else ""
            if http_api is not None and route.path == "$default":
                self._defaults.append((prefix, Route("ANY", "$default", route.function_name, None, http_api)))
                continue
            _, resource, _ = _to_rule_path(route.path)
            rule_path, _, names = _to_rule_path(prefix + route.path)
            method = route.method.upper()
            self.routes.append(
                Route(method, resource, route.function_name, getattr(route, "integration", None), http_api)
            )
            self._param_names.append(names)
            rule = Rule(
                rule_path, endpoint=len(self.routes) - 1, methods=None if method == "ANY" else [method]
            )
            if rule.methods is not None:
                rule.methods = {method}  # werkzeug adds HEAD to GET; API Gateway does not
            rules.append((method == "ANY", len(self.routes) - 1, rule))
        # werkzeug orders rules by their segments (literal < param < path); equal ones keep this
        # order, so an explicit method comes before ANY on the same path.
        self._map = Map(
            [rule for _, _, rule in sorted(rules, key=lambda r: r[:2])],
            strict_slashes=False,
            merge_slashes=False,
            redirect_defaults=False,
        )
        self._adapter = self._map.bind("localhost")

    def resolve(self, method: str, path: str) -> tuple[Match | None, list[str]]:
        """The route for ``method path`` (path as sent, percent-encoded); if none, the methods
        that the path does accept."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        try:
            index, values = self._adapter.match(path, method.upper())
        except MethodNotAllowed as exc:
            return self._default(path), sorted(exc.valid_methods or [])
        except NotFound:
            return self._default(path), []
        names = self._param_names[index]
        params = {names[key]: unquote(value) for key, value in values.items()}
        return Match(self.routes[index], params), []

    def _default(self, path: str) -> Match | None:
        """An HTTP API's ``$default`` route for a path no other route matches."""
        for prefix, route in self._defaults:
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return Match(route, {})
        return None


def _to_rule_path(path: str) -> tuple[str, str, dict[str, str]]:
    """'/files/{proxy+}' -> ('/files/<path:p0>', '/files/{proxy+}', {'p0': 'proxy'})"""
    parts = [p for p in path.strip("/").split("/") if p]
    rule_parts: list[str] = []
    names: dict[str, str] = {}
    for index, part in enumerate(parts):
        found = _PARAM.match(part)
        if found is None:
            if "<" in part or ">" in part:
                raise ValueError(f"unsupported character in route {path}")
            rule_parts.append(part)
            continue
        key = f"p{len(names)}"
        names[key] = found.group(1)
        if found.group(2) == "+":
            if index != len(parts) - 1:
                raise ValueError(f"greedy path variable must be the last segment: {path}")
            rule_parts.append(f"<path:{key}>")
        else:
            rule_parts.append(f"<{key}>")
    return "/" + "/".join(rule_parts), "/" + "/".join(parts), names
