"""The local API's routes, read from what the stack's REST APIs hold in the embedded API Gateway.

Every REST API of the stack counts however the template declares it: a SAM ``Api`` (implicit or
explicit, its OpenAPI ``Body`` imported), an ``AWS::ApiGateway::RestApi`` with a ``Body``, or one built
from explicit ``AWS::ApiGateway::Resource`` + ``Method`` resources. Each method's integration decides
the route (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-integration-types.html):

- ``AWS_PROXY`` to ``arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/
  invocations``: a Lambda proxy route to that function;
- ``AWS`` to ``arn:aws:apigateway:<region>:states:action/StartExecution`` (or ``StartSyncExecution``):
  a Step Functions route (:class:`~.model.StatesIntegration`, its request templates and integration
  responses);
- anything else (``MOCK``, ``HTTP``, other AWS services) is not served locally: listed at debug level.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .model import Route, StatesIntegration

log = logging.getLogger("orderflow.runtime")

_LAMBDA_URI = re.compile(
    r"^arn:[\w-]+:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(?P<arn>.+)/invocations$"
)
_STATES_URI = re.compile(
    r"^arn:[\w-]+:apigateway:[\w-]+:states:action/(?P<action>StartExecution|StartSyncExecution)$"
)
_ANY = "X-AMAZON-APIGATEWAY-ANY-METHOD"  # moto's OpenAPI import keeps the extension's name


def _function_name(function_arn: str) -> str:
    """arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] (or a bare name) -> name"""
    if ":function:" in function_arn:
        return function_arn.split(":function:", 1)[1].split(":", 1)[0]
    return function_arn


def route_of(verb: str, path: str, integration: dict[str, Any]) -> Route | None:
    """The route of one method (``integration`` as GetMethod's ``methodIntegration``), None if the
    local API does not serve its integration type."""
    verb = "ANY" if verb.upper() == _ANY else verb.upper()
    kind, uri = str(integration.get("type", "")).upper(), str(integration.get("uri") or "")
    lambda_uri = _LAMBDA_URI.match(uri)
    if kind == "AWS_PROXY" and lambda_uri:
        return Route(verb, path, _function_name(lambda_uri.group("arn")))
    states_uri = _STATES_URI.match(uri)
    if kind == "AWS" and states_uri:
        responses = tuple(
            (
                str(response.get("statusCode")),
                str(response.get("selectionPattern") or ""),
                tuple(sorted((response.get("responseTemplates") or {}).items())),
            )
            for _, response in sorted((integration.get("integrationResponses") or {}).items())
        )
        return Route(
            verb,
            path,
            "",
            StatesIntegration(
                action=states_uri.group("action"),
                request_templates=tuple(sorted((integration.get("requestTemplates") or {}).items())),
                passthrough_behavior=str(integration.get("passthroughBehavior") or "WHEN_NO_MATCH"),
                responses=responses,
            ),
        )
    log.debug("%s %s: a %s integration (%s) is not served by the local API", verb, path, kind, uri)
    return None


def read_routes(apigateway: Any, api_ids: list[str]) -> list[Route]:
    """The routes of the REST APIs ``api_ids`` (``apigateway``: a boto3 client of the embedded AWS)."""
    routes: list[Route] = []
    for api_id in api_ids:
        resources = apigateway.get_resources(restApiId=api_id, limit=500)["items"]
        for resource in sorted(resources, key=lambda r: r["path"]):
            for verb, method in sorted((resource.get("resourceMethods") or {}).items()):
                if "methodIntegration" not in method:  # GetResources embeds the methods (moto does)
                    method = apigateway.get_method(
                        restApiId=api_id, resourceId=resource["id"], httpMethod=verb
                    )
                route = route_of(verb, resource["path"], method.get("methodIntegration") or {})
                if route is not None:
                    routes.append(route)
    return routes


def api_stage(apigateway: Any, api_ids: list[str], stages: list[str]) -> str | None:
    """The stage served: the template's first ``AWS::ApiGateway::Stage`` (``stages``), else the first
    API's first stage (a ``Deployment`` with a ``StageName``), else none."""
    if stages:
        return stages[0]
    for api_id in api_ids:
        names = sorted(stage["stageName"] for stage in apigateway.get_stages(restApiId=api_id)["item"])
        if names:
            return names[0]
    return None
