"""The local API Gateway (REST API, Lambda proxy integration) in front of the runtime's functions."""

from orderflow.api.events import (
    HttpRequest,
    HttpResponse,
    MalformedProxyResponse,
    build_event,
    parse_proxy_response,
)
from orderflow.api.gateway import MAX_BODY_BYTES, ApiServer
from orderflow.api.routing import RouteTable

__all__ = [
    "MAX_BODY_BYTES",
    "ApiServer",
    "HttpRequest",
    "HttpResponse",
    "MalformedProxyResponse",
    "RouteTable",
    "build_event",
    "parse_proxy_response",
]
