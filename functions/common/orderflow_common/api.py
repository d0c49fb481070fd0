"""The REST skeleton shared by every API function: one resolver factory, one error mapping.

Every error leaves as ``{"message": ..., ...}``:

- a body that is not a JSON object, too large, or not sent as ``application/json``: 400/413/415,
  before any route runs (:mod:`orderflow_common.strict_json`);
- a request that breaks the route's models: 400, 404 for no route;
- a domain error the API lists in its ``errors`` table: that entry's status and body;
- ``TransientServiceError`` (AWS throttled, failed or was unreachable after botocore's retries): 503;
- anything else is a bug: 500 with a generic message, the stack trace only in the log.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from orderflow_common.errors import TransientServiceError
from orderflow_common.observability import logger
from orderflow_common.strict_json import BODY_METHODS, check_request_body, normalised_event, strict_loads


def json_response(status: HTTPStatus | int, body: Any) -> Response:
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def empty_response(status: HTTPStatus | int = HTTPStatus.NO_CONTENT) -> Response:
    """204 and friends: no body at all (not "{}")."""
    return Response(status_code=int(status), body="", content_type=None)


@dataclass(frozen=True)
class ErrorResponse:
    """How one domain error leaves an API: its status, and its JSON body built from the error."""

    status: HTTPStatus
    body: Callable[[Any], dict[str, Any]]


def coded(status: HTTPStatus, message: str) -> ErrorResponse:
    """A fixed message and the error's class name as ``code``: ``{"message": ..., "code": ...}``."""
    return ErrorResponse(status, lambda exc: {"message": message, "code": type(exc).__name__})


ErrorTable = Mapping[type[Exception], ErrorResponse]


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    return {"field": ".".join(location) or "body", "problem": error.get("msg", "invalid")}


def _responder(response: ErrorResponse) -> Callable[[Exception], Response[dict[str, Any]]]:
    def _respond(exc: Exception) -> Response[dict[str, Any]]:
        return json_response(response.status, response.body(exc))

    return _respond


class StrictJsonResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, with every body checked by :func:`check_request_body` first.

    Powertools alone reads a missing Content-Type as JSON, compares ``application/json``
    case-sensitively, parses forms, takes the first element of an array body, and lets
    ``RecursionError``/``UnicodeDecodeError``/``ValueError`` from ``json.loads`` become 500s.
    """

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if str(event.get("httpMethod", "")).upper() in BODY_METHODS:
            problem, _ = check_request_body(event)
            if problem is not None:
                logger.info("request body refused", extra={"status": int(problem.status)})
                return _proxy_response(problem.status, {"message": problem.message})
            event = normalised_event(event)
        return super().resolve(event, context)


def _proxy_response(status: HTTPStatus, body: dict[str, Any]) -> dict[str, Any]:
    """A REST proxy response built without a route (the shape Powertools' Response.build gives)."""
    return {
        "statusCode": int(status),
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": [content_types.APPLICATION_JSON]},
    }


def create_resolver(errors: ErrorTable | None = None) -> APIGatewayRestResolver:
    """The resolver with the shared error mapping; ``errors`` maps the API's own domain errors (an
    error class not listed, nor a subclass of one listed, is a 500)."""
    app = StrictJsonResolver(enable_validation=True, json_body_deserializer=strict_loads)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        problems = [_describe(err) for err in exc.errors()]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems) or "invalid request"
        return json_response(HTTPStatus.BAD_REQUEST, {"message": message, "errors": problems})

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(_exc: RequestUnsupportedContentType) -> Response:
        message = {"message": "the body must be application/json"}
        return json_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, message)

    @app.exception_handler(TransientServiceError)
    def _busy(exc: TransientServiceError) -> Response:
        logger.warning("AWS kept failing after retries", extra={"error": str(exc)})
        return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"message": "busy, retry the request"})

    for error_type, response in (errors or {}).items():
        app.exception_handler(error_type)(_responder(response))

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return json_response(HTTPStatus.NOT_FOUND, {"message": "no such route"})

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})

    return app
