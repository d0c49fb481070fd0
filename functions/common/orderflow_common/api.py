"""The REST skeleton shared by every API function: one resolver factory, one error shape.

Every error leaves as ``{"message": ..., ...}`` with a 4xx status (503 when AWS keeps throttling);
a bug is a 500 with a generic message and the stack trace only in the log, never in the response.
"""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from orderflow_common.errors import TransientServiceError
from orderflow_common.observability import logger


class ApiError(Exception):
    """A request the API refuses; subclasses set the HTTP status."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT


def json_response(status: HTTPStatus | int, body: Any) -> Response:
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def empty_response(status: HTTPStatus | int = HTTPStatus.NO_CONTENT) -> Response:
    """204 and friends: no body at all (not "{}")."""
    return Response(status_code=int(status), body="", content_type=None)


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    return {"field": ".".join(location) or "body", "problem": error.get("msg", "invalid")}


def create_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

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
        logger.warning("AWS kept throttling after retries", extra={"error": type(exc).__name__})
        return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"message": "busy, retry the request"})

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return json_response(exc.status, {"message": exc.message, **exc.details})

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return json_response(HTTPStatus.NOT_FOUND, {"message": "no such route"})

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})

    return app
