"""The local API's HTTP API routes (API Gateway v2), read from the transformed template.

moto's CloudFormation support of ``AWS::ApiGatewayV2::Api`` keeps no routes, so they are read from each
``AWS::ApiGatewayV2::Api``'s ``Body`` (OpenAPI 3, what SAM makes of an implicit or explicit
``AWS::Serverless::HttpApi``): every ``paths`` entry's operation with an
``x-amazon-apigateway-integration`` of type ``aws_proxy`` to a Lambda function of the stack is a
route (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
``x-amazon-apigateway-any-method`` is ``ANY``, the path ``$default`` the catch-all route.
The stage is the API's ``AWS::ApiGatewayV2::Stage``: ``$default`` has no path prefix, a named stage
is one (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
Other integrations (HTTP, AWS service) are not served locally: listed at debug level.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .model import HttpApiRoute, Route

log = logging.getLogger("orderflow.runtime")

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}
_FUNCTION_IN_SUB = re.compile(r"/functions/\$\{(?P<logical>[A-Za-z0-9]+)\.Arn\}/invocations")
_FUNCTION_IN_ARN = re.compile(r"/functions/(?P<arn>[^/]+)/invocations$")


def _function(uri: Any, resources: dict[str, str]) -> str | None:
    """The physical function name of an integration ``uri``: ``Fn::Sub`` with ``${Fn.Arn}`` (SAM's)
    or a literal invocation ARN; None if neither."""
    if isinstance(uri, dict) and "Fn::Sub" in uri:
        sub = uri["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) and sub else sub
        found = _FUNCTION_IN_SUB.search(text) if isinstance(text, str) else None
        return resources.get(found.group("logical")) if found else None
    if isinstance(uri, str):
        literal = _FUNCTION_IN_ARN.search(uri)
        if literal:
            arn = literal.group("arn")
            return arn.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in arn else arn
    return None


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def http_api_routes(template: dict[str, Any], resources: dict[str, str]) -> list[Route]:
    """The routes of every HTTP API of ``template`` (transformed); ``resources``: logical -> physical id."""
    definitions = template.get("Resources") or {}
    stages: dict[str, str] = {}
    for resource in definitions.values():
        props = resource.get("Properties") or {}
        api = _ref(props.get("ApiId"))
        if resource.get("Type") == "AWS::ApiGatewayV2::Stage" and api and api not in stages:
            stages[api] = str(props.get("StageName") or "$default")
    routes: list[Route] = []
    for logical, resource in sorted(definitions.items()):
        if resource.get("Type") != "AWS::ApiGatewayV2::Api":
            continue
        body = (resource.get("Properties") or {}).get("Body")
        if not isinstance(body, dict):
            log.debug("HTTP API %s has no inline Body: not served by the local API", logical)
            continue
        api_id = resources.get(logical) or logical
        stage = stages.get(logical, "$default")
        for path, operations in sorted((body.get("paths") or {}).items()):
            for verb, operation in sorted((operations or {}).items()):
                if verb.lower() not in _METHODS or not isinstance(operation, dict):
                    continue
                method = "ANY" if verb.lower() == "x-amazon-apigateway-any-method" else verb.upper()
                integration = operation.get("x-amazon-apigateway-integration") or {}
                function = _function(integration.get("uri"), resources)
                if str(integration.get("type", "")).lower() != "aws_proxy" or function is None:
                    log.debug("%s %s of %s: integration not served by the local API", method, path, logical)
                    continue
                route_key = "$default" if path == "$default" else f"{method} {path}"
                version = str(integration.get("payloadFormatVersion") or "2.0")
                routes.append(
                    Route(method, path, function, http_api=HttpApiRoute(api_id, stage, route_key, version))
                )
    return routes
