"""Users REST API (API Gateway REST proxy): CRUD with transactional email uniqueness.

    POST   /users                  {email, name}              201 user
    GET    /users?limit=&cursor=                              200 {"items": [user...], "nextCursor": str|null}
    GET    /users?email=                                      200 {"items": [user] or [], "nextCursor": null}
    GET    /users/{userId}                                    200 user | 404
    PUT    /users/{userId}         {email?, name?, status?}   200 user | 404 | 409
    DELETE /users/{userId}                                    204 (no body) | 404

Errors are JSON ``{"message": ...}`` (plus ``code`` for the service's own errors, ``errors`` for
validation): 400 bad input (user ids: canonical lower-case UUIDs only), 404 unknown user, 409 email
in use, 413 body over 64 KiB, 415 not JSON, 503 throttled.
"""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from orderflow_common.api import ErrorTable, coded, create_resolver, empty_response, json_response
from orderflow_common.observability import logger, metrics, tracer
from orderflow_common.settings import load_settings

from user_service.dal.users_table import UserStore
from user_service.errors import (
    ConcurrentUpdate,
    EmailAlreadyInUse,
    InvalidCursor,
    UserNotFound,
)
from user_service.logic.users import UserService
from user_service.models import EMAIL_MAX_LENGTH, CreateUserRequest, UpdateUserRequest, normalize_email
from user_service.settings import UsersApiSettings

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

# Any other UserServiceError (e.g. EmailClaimMismatch: data integrity, not the caller's fault) is a 500.
ERRORS: ErrorTable = {
    UserNotFound: coded(HTTPStatus.NOT_FOUND, "user not found"),
    EmailAlreadyInUse: coded(HTTPStatus.CONFLICT, "email address is already in use"),
    ConcurrentUpdate: coded(HTTPStatus.CONFLICT, "the user was changed concurrently; retry"),
    InvalidCursor: coded(HTTPStatus.BAD_REQUEST, "invalid cursor"),
}

# Canonical form only (lower-case, dashed), as the API writes them: one user, one URL. Upper-case,
# dash-less, braced or urn:uuid: forms are 400, not aliases of the same user.
CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
UserId = Annotated[str, Path(pattern=CANONICAL_UUID, description="The user's id (a canonical UUID)")]


def build_app(service: UserService) -> APIGatewayRestResolver:
    """The resolver with every route bound to ``service`` (one per execution environment)."""
    app = create_resolver(ERRORS)

    @app.post("/users")
    def create_user(body: Annotated[CreateUserRequest, Body()]) -> Response[dict[str, Any]]:
        user = service.create(body)
        metrics.add_metric(name="UserCreated", unit=MetricUnit.Count, value=1)
        logger.info("user created", extra={"userId": user.userId})
        return json_response(HTTPStatus.CREATED, user.model_dump())

    @app.get("/users")
    def list_users(
        email: Annotated[str | None, Query(max_length=EMAIL_MAX_LENGTH + 64)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
    ) -> Response[dict[str, Any]]:
        if email is None:
            return json_response(HTTPStatus.OK, service.list_page(limit, cursor).model_dump())
        if cursor is not None:
            return _bad_request("email and cursor cannot be combined")
        try:
            address = normalize_email(email)
        except ValueError as exc:
            return _bad_request(f"email: {exc}")
        users = service.find_by_email(address)
        return json_response(HTTPStatus.OK, {"items": [u.model_dump() for u in users], "nextCursor": None})

    @app.get("/users/<userId>")
    def get_user(userId: UserId) -> Response[dict[str, Any]]:
        return json_response(HTTPStatus.OK, service.get(str(userId)).model_dump())

    @app.put("/users/<userId>")
    def update_user(userId: UserId, body: Annotated[UpdateUserRequest, Body()]) -> Response[dict[str, Any]]:
        user = service.update(str(userId), body)
        logger.info("user updated", extra={"userId": user.userId, "fields": sorted(body.changes())})
        return json_response(HTTPStatus.OK, user.model_dump())

    @app.delete("/users/<userId>")
    def delete_user(userId: UserId) -> Response[str]:
        service.delete(str(userId))
        logger.info("user deleted", extra={"userId": str(userId)})
        return empty_response(HTTPStatus.NO_CONTENT)

    return app


def _bad_request(message: str) -> Response[dict[str, Any]]:
    return json_response(HTTPStatus.BAD_REQUEST, {"message": message})


settings = load_settings(UsersApiSettings)
service = UserService(UserStore(settings.users_table_name, settings.email_claims_table_name))
app = build_app(service)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses carry email addresses
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
