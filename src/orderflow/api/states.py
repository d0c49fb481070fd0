"""A REST API method's AWS integration with Step Functions (``StartExecution`` /
``StartSyncExecution``), as API Gateway runs it
(https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-api-gateway.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html):

1. the request template for the request's Content-Type (``application/json`` when it sends none)
   makes the action's request; with no templates the body goes as it is (passthrough), with
   templates but none for that type ``WHEN_NO_MATCH`` passes it through and the others answer 415;
2. Step Functions answers (``client``: a boto3 ``stepfunctions`` client);
3. the integration response whose selection pattern matches Step Functions' HTTP status (else the
   default one, empty pattern) gives the status and, with a response template, the body; no
   integration response at all is API Gateway's ``500 Internal server error``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from orderflow.api.events import HttpRequest, HttpResponse, json_error
from orderflow.api.mapping import MappingContext, UnsupportedTemplate, render

log = logging.getLogger("orderflow.api")

_JSON = [("Content-Type", "application/json")]


def _wire(value: Any) -> Any:
    """A boto3 answer as Step Functions' JSON protocol sends it (timestamps in epoch seconds)."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _call(client: Any, action: str, request: str) -> tuple[int, bytes]:
    """Step Functions' status and body for ``action`` with the JSON ``request``."""
    try:
        params = json.loads(request) if request.strip() else {}
        if not isinstance(params, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        error = {"__type": "SerializationException", "Message": f"the request is not a JSON object: {exc}"}
        return 400, json.dumps(error).encode()
    method = client.start_sync_execution if action == "StartSyncExecution" else client.start_execution
    try:
        return 200, json.dumps(_wire(method(**params))).encode()
    except ParamValidationError as exc:
        message = " ".join(str(exc).split())
        return 400, json.dumps({"__type": "ValidationException", "message": message}).encode()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        body = {"__type": error.get("Code", "ClientError"), "message": error.get("Message", "")}
        return status, json.dumps(body).encode()


def _content_type(request: HttpRequest) -> str:
    for name, value in request.headers:
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower() or "application/json"
    return "application/json"


def call_states(integration: Any, request: HttpRequest, ctx: MappingContext, client: Any) -> HttpResponse:
    """The API's response to ``request`` through the Step Functions ``integration``
    (a :class:`orderflow.runtime.model.StatesIntegration`)."""
    templates = dict(integration.request_templates)
    content_type = _content_type(request)
    try:
        if content_type in templates:
            backend_request = render(templates[content_type], ctx)
        elif not templates or integration.passthrough_behavior == "WHEN_NO_MATCH":
            if integration.passthrough_behavior == "NEVER":
                return json_error(415, "Unsupported Media Type")
            backend_request = request.body.decode("utf-8", "replace")
        else:
            return json_error(415, "Unsupported Media Type")
    except UnsupportedTemplate as exc:
        log.warning(
            "%s %s: its request template cannot be evaluated locally: %s", request.method, request.path, exc
        )
        return json_error(500, f"Internal server error (request template: {exc})")
    status, body = _call(client, integration.action, backend_request)
    chosen = _integration_response(integration.responses, status)
    if chosen is None:
        # "Execution failed due to configuration error: No match for output mapping and no default
        # output mapping configured"
        log.warning("%s %s: no integration response for status %s", request.method, request.path, status)
        return json_error(500, "Internal server error")
    status_code, response_templates = chosen
    template = dict(response_templates).get("application/json")
    if template:
        response_ctx = MappingContext(body=body, context=ctx.context, stage_variables=ctx.stage_variables)
        try:
            body = render(template, response_ctx).encode()
        except UnsupportedTemplate as exc:
            log.warning(
                "%s %s: its response template cannot be evaluated locally: %s",
                request.method,
                request.path,
                exc,
            )
            return json_error(500, "Internal server error")
    return HttpResponse(int(status_code), list(_JSON), body)


def _integration_response(
    responses: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...], status: int
) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    default = None
    for status_code, pattern, templates in responses:
        if not pattern:
            default = default or (status_code, templates)
        elif re.fullmatch(pattern, str(status)):
            return status_code, templates
    return default
