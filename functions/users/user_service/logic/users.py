"""User CRUD rules: ids, timestamps, which write an update needs, retries of optimistic writes."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from orderflow_common.clock import isoformat, utcnow

from user_service.errors import ConcurrentUpdate, UserNotFound
from user_service.models import ACTIVE, CreateUserRequest, UpdateUserRequest, User, UserPage

T = TypeVar("T")

MAX_ATTEMPTS = 4
BASE_BACKOFF_SECONDS = 0.02


class UserRepository(Protocol):
    """What the logic needs from the data layer (user_service.dal.users_table.UserStore)."""

    def get(self, user_id: str) -> dict[str, Any] | None: ...

    def find_by_email(self, email: str) -> list[dict[str, Any]]: ...

    def list_page(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...

    def create(self, user: dict[str, Any]) -> None: ...

    def update(self, user_id: str, changes: dict[str, str], updated_at: str) -> dict[str, Any]: ...

    def change_email(
        self, user_id: str, old_email: str, changes: dict[str, str], updated_at: str
    ) -> None: ...

    def delete(self, user_id: str, email: str) -> None: ...


def _now() -> str:
    return isoformat(utcnow())


def _new_id() -> str:
    return str(uuid.uuid4())


class UserService:
    def __init__(
        self,
        store: UserRepository,
        *,
        now: Callable[[], str] = _now,
        new_id: Callable[[], str] = _new_id,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._store = store
        self._now = now
        self._new_id = new_id
        self._sleep = sleep
        self._max_attempts = max_attempts

    def create(self, request: CreateUserRequest) -> User:
        def attempt() -> User:
            now = self._now()
            user = User(
                userId=self._new_id(),
                email=request.email,
                name=request.name,
                status=ACTIVE,
                createdAt=now,
                updatedAt=now,
            )
            self._store.create(user.model_dump())
            return user

        return self._retrying(attempt)

    def get(self, user_id: str) -> User:
        return User.model_validate(self._load(user_id))

    def find_by_email(self, email: str) -> list[User]:
        """``email`` must already be normalised (models.normalize_email)."""
        return [User.model_validate(item) for item in self._store.find_by_email(email)]

    def list_page(self, limit: int, cursor: str | None) -> UserPage:
        items, next_cursor = self._store.list_page(limit, cursor)
        return UserPage(items=[User.model_validate(item) for item in items], nextCursor=next_cursor)

    def update(self, user_id: str, request: UpdateUserRequest) -> User:
        def attempt() -> User:
            current = self._load(user_id)
            changes = request.changes()
            now = self._now()
            if changes.get("email", current["email"]) == current["email"]:
                # Same address (or none given): nothing to claim, a plain conditional update.
                changes.pop("email", None)
                return User.model_validate(self._store.update(user_id, changes, now))
            self._store.change_email(user_id, current["email"], changes, now)
            return User.model_validate({**current, **changes, "updatedAt": now})

        return self._retrying(attempt)

    def delete(self, user_id: str) -> None:
        def attempt() -> None:
            current = self._load(user_id)
            self._store.delete(user_id, current["email"])

        self._retrying(attempt)

    # ------------------------------------------------------------------ helpers
    def _load(self, user_id: str) -> dict[str, Any]:
        item = self._store.get(user_id)
        if item is None:
            raise UserNotFound(user_id)
        return item

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` again (re-reading) when a concurrent write got in its way."""
        for number in range(1, self._max_attempts + 1):
            try:
                return attempt()
            except ConcurrentUpdate:
                if number == self._max_attempts:
                    raise
                # Full jitter: racing writers must not retry in lock step. Not cryptographic.
                self._sleep(random.uniform(0, BASE_BACKOFF_SECONDS * 2**number))  # noqa: S311
        raise AssertionError("unreachable")
