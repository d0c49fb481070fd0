"""Route tables for the local API Gateway: path templates with ``{param}`` and ``{proxy+}``.

Matching follows API Gateway REST APIs: a literal segment beats a ``{param}`` segment, which beats
a greedy ``{proxy+}``; ``ANY`` matches every method but an explicit method wins over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

_PARAM = re.compile(r"^\{([A-Za-z0-9_.\-]+)(\+?)\}$")


class RouteLike(Protocol):
    method: str
    path: str
    function_name: str


@dataclass(frozen=True)
class _Segment:
    literal: str | None = None  # a fixed segment
    param: str | None = None  # {name}
    greedy: bool = False  # {name+}: the rest of the path, at least one segment


@dataclass(frozen=True)
class CompiledRoute:
    method: str  # upper case; "ANY" for every method
    resource: str  # the template, e.g. /users/{userId}
    function_name: str
    segments: tuple[_Segment, ...]

    def match(self, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.greedy:
                rest = parts[index:]
                if not rest:
                    return None
                params[segment.param or "proxy"] = "/".join(rest)
                return params
            if index >= len(parts):
                return None
            part = parts[index]
            if segment.literal is not None:
                if part != segment.literal:
                    return None
            else:
                if part == "":
                    return None
                params[segment.param or ""] = part
        return params if len(parts) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, ...]:
        # Literal segments first, then params, greedy last; explicit methods before ANY.
        ranks = tuple(0 if s.literal is not None else (2 if s.greedy else 1) for s in self.segments)
        return (*ranks, 1 if self.method == "ANY" else 0)


def split_path(path: str) -> list[str]:
    """'/users/a%20b/' -> ['users', 'a b'] (one trailing slash ignored, segments URL-decoded)."""
    stripped = path.strip("/")
    if not stripped:
        return []
    return [unquote(part) for part in stripped.split("/")]


def compile_route(method: str, path: str, function_name: str) -> CompiledRoute:
    segments: list[_Segment] = []
    parts = [p for p in path.strip("/").split("/") if p] if path.strip("/") else []
    for index, part in enumerate(parts):
        found = _PARAM.match(part)
        if found is None:
            segments.append(_Segment(literal=part))
            continue
        greedy = found.group(2) == "+"
        if greedy and index != len(parts) - 1:
            raise ValueError(f"greedy path variable must be the last segment: {path}")
        segments.append(_Segment(param=found.group(1), greedy=greedy))
    resource = "/" + "/".join(parts)
    return CompiledRoute(method.upper(), resource, function_name, tuple(segments))


@dataclass(frozen=True)
class Match:
    route: CompiledRoute
    path_parameters: dict[str, str]


class RouteTable:
    def __init__(self, routes: list[RouteLike] | list[CompiledRoute]) -> None:
        compiled = [
            r if isinstance(r, CompiledRoute) else compile_route(r.method, r.path, r.function_name)
            for r in routes
        ]
        self.routes = sorted(compiled, key=lambda r: r.specificity)

    def resolve(self, method: str, path: str) -> tuple[Match | None, list[str]]:
        """The route for ``method path``; if none, the methods that the path does accept."""
        parts = split_path(path)
        allowed: list[str] = []
        for route in self.routes:
            params = route.match(parts)
            if params is None:
                continue
            if route.method in (method.upper(), "ANY"):
                return Match(route, params), []
            if route.method not in allowed:
                allowed.append(route.method)
        return None, allowed
