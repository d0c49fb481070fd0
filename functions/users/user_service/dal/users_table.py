"""UsersTable + EmailClaimsTable: the only code that reads or writes users.

Every write that sets, changes or drops a user's email does the same to the address's claim
(EmailClaimsTable, key ``email``) in one TransactWriteItems, so two users can never hold one address,
even when requests race. ``status`` and ``name`` are DynamoDB reserved words: every expression names
attributes through ExpressionAttributeNames.

IAM (template.yaml, UsersApiFunction): GetItem, UpdateItem, Scan on UsersTable, Query on its
EmailIndex; the transactions need PutItem/DeleteItem/UpdateItem on UsersTable and PutItem/DeleteItem
on EmailClaimsTable (TransactWriteItems is authorised per contained action).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from orderflow_common.aws_errors import error_code, transaction_cancellation, transient_errors
from orderflow_common.dynamodb_items import from_attribute_values, to_attribute_values
from orderflow_common.errors import TransientServiceError
from orderflow_common.observability import tracer

from user_service.dal.clients import aws_client
from user_service.errors import (
    ConcurrentUpdate,
    EmailAlreadyInUse,
    EmailClaimMismatch,
    InvalidCursor,
    UserNotFound,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

EMAIL_INDEX = "EmailIndex"
MAX_CURSOR_LENGTH = 2048

# Attribute names go through placeholders: status and name are reserved words.
_NAMES = {
    "#userId": "userId",
    "#email": "email",
    "#name": "name",
    "#status": "status",
    "#updatedAt": "updatedAt",
}
_CHANGEABLE = ("email", "name", "status")

# Every method is traced like the orders DAL's, but never with its result: users carry email addresses
# (the API handler leaves its response out of the trace for the same reason).
_traced = tracer.capture_method(capture_response=False)


def encode_cursor(last_evaluated_key: dict[str, Any]) -> str:
    """Opaque cursor: urlsafe base64 of the LastEvaluatedKey's JSON."""
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The ExclusiveStartKey behind a cursor; anything but ``{"userId": {"S": "..."}}`` is refused."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidCursor("invalid cursor") from exc
    if not isinstance(key, dict) or set(key) != {"userId"}:
        raise InvalidCursor("invalid cursor")
    value = key["userId"]
    if not isinstance(value, dict) or set(value) != {"S"}:
        raise InvalidCursor("invalid cursor")
    if not isinstance(value["S"], str) or not 0 < len(value["S"]) <= 64:
        raise InvalidCursor("invalid cursor")
    return key


class UserStore:
    """Reads and writes of user items and email claims."""

    def __init__(
        self, users_table: str, email_claims_table: str, client: DynamoDBClient | None = None
    ) -> None:
        self._users_table = users_table
        self._claims_table = email_claims_table
        self._client = client or aws_client("dynamodb")

    # ------------------------------------------------------------------ reads
    @_traced
    def get(self, user_id: str) -> dict[str, Any] | None:
        with transient_errors("GetItem"):
            response = self._client.get_item(
                TableName=self._users_table, Key={"userId": {"S": user_id}}, ConsistentRead=True
            )
        item = response.get("Item")
        return from_attribute_values(item) if item else None

    @_traced
    def find_by_email(self, email: str) -> list[dict[str, Any]]:
        """Users whose email is ``email`` (at most one; the index is eventually consistent)."""
        with transient_errors("Query"):
            response = self._client.query(
                TableName=self._users_table,
                IndexName=EMAIL_INDEX,
                KeyConditionExpression="#email = :email",
                ExpressionAttributeNames={"#email": "email"},
                ExpressionAttributeValues={":email": {"S": email}},
            )
        return [from_attribute_values(item) for item in response.get("Items", [])]

    @_traced
    def list_page(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One Scan page of at most ``limit`` users and the cursor of the next page (None at the end)."""
        request: dict[str, Any] = {"TableName": self._users_table, "Limit": limit}
        if cursor is not None:
            request["ExclusiveStartKey"] = decode_cursor(cursor)
        with transient_errors("Scan"):
            response = self._client.scan(**request)
        items = [from_attribute_values(item) for item in response.get("Items", [])]
        last_key = response.get("LastEvaluatedKey")
        return items, (encode_cursor(last_key) if last_key else None)

    # ------------------------------------------------------------------ writes
    @_traced
    def create(self, user: dict[str, Any]) -> None:
        """Put the user and claim its email, both or neither."""
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._users_table,
                    "Item": to_attribute_values(user),
                    "ConditionExpression": "attribute_not_exists(#userId)",
                    "ExpressionAttributeNames": {"#userId": "userId"},
                }
            },
            self._claim(user["email"], user["userId"]),
        ]
        codes = self._transact(items)
        if codes is None:
            return
        if codes[1] == "ConditionalCheckFailed":
            raise EmailAlreadyInUse("email address is already in use")
        # codes[0]: a user with this (random) id exists; the caller draws a new id.
        raise ConcurrentUpdate("user id already taken")

    @_traced
    def update(self, user_id: str, changes: dict[str, str], updated_at: str) -> dict[str, Any]:
        """Change name/status (never the email) of an existing user; returns the new item."""
        if "email" in changes:
            raise ValueError("email changes go through change_email")
        expression, names, values = self._set_expression(changes, updated_at)
        with transient_errors("UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._users_table,
                    Key={"userId": {"S": user_id}},
                    UpdateExpression=expression,
                    ConditionExpression="attribute_exists(#userId)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    raise UserNotFound(user_id) from exc
                raise
        return from_attribute_values(response["Attributes"])

    @_traced
    def change_email(self, user_id: str, old_email: str, changes: dict[str, str], updated_at: str) -> None:
        """Move the user to ``changes["email"]``: update it, release the old claim, claim the new one.

        The update only applies while the stored email is still ``old_email``; a change made in the
        meantime (or a delete) surfaces as ConcurrentUpdate and the caller re-reads.
        """
        new_email = changes["email"]
        expression, names, values = self._set_expression(changes, updated_at)
        values[":oldEmail"] = {"S": old_email}
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self._users_table,
                    "Key": {"userId": {"S": user_id}},
                    "UpdateExpression": expression,
                    "ConditionExpression": "attribute_exists(#userId) AND #email = :oldEmail",
                    "ExpressionAttributeNames": {**names, "#userId": "userId", "#email": "email"},
                    "ExpressionAttributeValues": values,
                }
            },
            self._release(old_email, user_id),
            self._claim(new_email, user_id),
        ]
        codes = self._transact(items)
        if codes is None:
            return
        if codes[2] == "ConditionalCheckFailed":
            raise EmailAlreadyInUse("email address is already in use")
        if codes[0] == "ConditionalCheckFailed":
            raise ConcurrentUpdate("user changed or was deleted meanwhile")
        raise EmailClaimMismatch(f"the claim of user {user_id}'s current email belongs to another user")

    @_traced
    def delete(self, user_id: str, email: str) -> None:
        """Delete the user and release its email claim, while its email is still ``email``."""
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._users_table,
                    "Key": {"userId": {"S": user_id}},
                    "ConditionExpression": "attribute_exists(#userId) AND #email = :email",
                    "ExpressionAttributeNames": {"#userId": "userId", "#email": "email"},
                    "ExpressionAttributeValues": {":email": {"S": email}},
                }
            },
            self._release(email, user_id),
        ]
        codes = self._transact(items)
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            raise ConcurrentUpdate("user changed or was deleted meanwhile")
        raise EmailClaimMismatch(f"the claim of user {user_id}'s email belongs to another user")

    # ------------------------------------------------------------------ helpers
    def _claim(self, email: str, user_id: str) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._claims_table,
                "Item": {"email": {"S": email}, "userId": {"S": user_id}},
                "ConditionExpression": "attribute_not_exists(#email)",
                "ExpressionAttributeNames": {"#email": "email"},
            }
        }

    def _release(self, email: str, user_id: str) -> TransactWriteItemTypeDef:
        # Only ever drop our own claim. A missing claim (a user written before claims existed) is
        # no reason to block the user's change: deleting a missing item is a no-op.
        return {
            "Delete": {
                "TableName": self._claims_table,
                "Key": {"email": {"S": email}},
                "ConditionExpression": "attribute_not_exists(#email) OR #userId = :userId",
                "ExpressionAttributeNames": {"#email": "email", "#userId": "userId"},
                "ExpressionAttributeValues": {":userId": {"S": user_id}},
            }
        }

    @staticmethod
    def _set_expression(
        changes: dict[str, str], updated_at: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        unknown = set(changes) - set(_CHANGEABLE)
        if unknown:
            raise ValueError(f"not changeable: {sorted(unknown)}")
        fields = [field for field in _CHANGEABLE if field in changes]
        assignments = [f"#{field} = :{field}" for field in fields] + ["#updatedAt = :updatedAt"]
        names = {f"#{field}": _NAMES[f"#{field}"] for field in fields}
        names["#updatedAt"] = "updatedAt"
        names["#userId"] = "userId"
        values = {f":{field}": {"S": changes[field]} for field in fields}
        values[":updatedAt"] = {"S": updated_at}
        return "SET " + ", ".join(assignments), names, values

    def _transact(self, items: list[TransactWriteItemTypeDef]) -> list[str] | None:
        """Run the transaction; None when it committed, else the per-item cancellation codes.

        Conflicts with another transaction become ConcurrentUpdate, throttling TransientServiceError.
        """
        with transient_errors("TransactWriteItems"):
            try:
                self._client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                cancellation = transaction_cancellation(exc, items=len(items))
                if cancellation is None:
                    raise
                if cancellation.conflict:
                    raise ConcurrentUpdate("a concurrent transaction touched the same items") from exc
                if cancellation.throttled:
                    raise TransientServiceError("DynamoDB throttled the transaction") from exc
                if cancellation.only_conditions_failed:
                    return cancellation.codes
                raise
        return None
