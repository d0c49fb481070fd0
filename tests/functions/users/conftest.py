"""Fixtures of the users tests: the template's tables in moto, the handlers wired to them, SES.

The handler modules build their clients and settings at import (as at a Lambda cold start); moto
names the template's tables per test, so every test imports the handler afresh after setting the
environment the template would give it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.functions.users.users_support import SENDER, ApiResponse, aws_client, rest_event, to_response
from tests.support.lambda_env import REGION, LambdaContext, fresh_module


@pytest.fixture
def users_env(template_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment template.yaml gives the two users functions, pointing at the moto tables."""
    env = {
        "USERS_TABLE_NAME": template_resources["UsersTable"],
        "EMAIL_CLAIMS_TABLE_NAME": template_resources["EmailClaimsTable"],
        "IDEMPOTENCY_TABLE_NAME": template_resources["IdempotencyTable"],
        "SENDER_EMAIL": SENDER,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def users_api(users_env: dict[str, str]) -> ModuleType:
    return fresh_module("user_service.handlers.users_api")


@pytest.fixture
def call(users_api: ModuleType) -> Callable[..., ApiResponse]:
    """call("POST", "/users", body={...}) -> ApiResponse, through the Lambda handler."""

    def _call(method: str, path: str, **kwargs: Any) -> ApiResponse:
        return to_response(users_api.handler(rest_event(method, path, **kwargs), LambdaContext()))

    return _call


@pytest.fixture
def create_user(call: Callable[..., ApiResponse]) -> Callable[..., dict[str, Any]]:
    def _create(email: str, name: str = "Ada Lovelace") -> dict[str, Any]:
        response = call("POST", "/users", body={"email": email, "name": name})
        assert response.status == 201, response.json
        return response.json

    return _create


@dataclass
class Tables:
    users: str
    claims: str

    def _scan(self, table: str) -> list[dict[str, Any]]:
        client = aws_client("dynamodb")
        deserialize = boto3.dynamodb.types.TypeDeserializer().deserialize
        items = client.scan(TableName=table)["Items"]
        return [{k: deserialize(v) for k, v in item.items()} for item in items]

    def user_items(self) -> list[dict[str, Any]]:
        return self._scan(self.users)

    def claims_by_email(self) -> dict[str, str]:
        return {item["email"]: item["userId"] for item in self._scan(self.claims)}


@pytest.fixture
def tables(users_env: dict[str, str]) -> Tables:
    return Tables(users=users_env["USERS_TABLE_NAME"], claims=users_env["EMAIL_CLAIMS_TABLE_NAME"])


# ------------------------------------------------------------------------------------------- mailer
@pytest.fixture
def ses() -> Any:
    client = aws_client("ses")
    client.verify_email_identity(EmailAddress=SENDER)
    return client


@pytest.fixture
def stream_mailer(users_env: dict[str, str], ses: Any) -> ModuleType:
    return fresh_module("user_service.handlers.stream_mailer")


@pytest.fixture
def sent_mail() -> Callable[[], list[Any]]:
    """The messages moto's SES accepted, in order (each has .source, .destinations, .subject, .body)."""

    def _sent() -> list[Any]:
        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    return _sent


@pytest.fixture
def users_stream(users_env: dict[str, str]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Reads UsersTable's stream: each call returns the records written since the previous call."""
    ddb = aws_client("dynamodb")
    # botocore addresses DescribeStream by the ARN's account (<account>.streams-ddb...), a host moto
    # 5.2 does not route; the regional endpoint is the same API.
    streams = aws_client("dynamodbstreams", f"https://streams.dynamodb.{REGION}.amazonaws.com")
    arn = ddb.describe_table(TableName=users_env["USERS_TABLE_NAME"])["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    state = {
        "iterator": streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    }

    def _new_records() -> list[dict[str, Any]]:
        response = streams.get_records(ShardIterator=state["iterator"])
        state["iterator"] = response["NextShardIterator"]
        # What the Lambda event source delivers: JSON (datetimes as epoch seconds), plus source ARN.
        records = json.loads(json.dumps(response["Records"], default=lambda d: int(d.timestamp())))
        for record in records:
            record["eventSourceARN"] = arn
        return records

    yield _new_records
