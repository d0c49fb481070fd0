"""The local API Gateway (REST API, Lambda proxy integration) in front of the runtime's functions."""

from orderflow.api.events import (
    HttpRequest,
    HttpResponse,
    MalformedProxyResponse,
    build_event,
    parse_proxy_response,
)
from orderflow.api.routing import RouteTable, compile_route
from orderflow.api.server import MAX_BODY_BYTES, ApiServer

__all__ = [
    "MAX_BODY_BYTES",
    "ApiServer",
    "HttpRequest",
    "HttpResponse",
    "MalformedProxyResponse",
    "RouteTable",
    "build_event",
    "compile_route",
    "parse_proxy_response",
]
