"""The DynamoDB client and the (de)serialisers of its attribute-value format.

The low-level client with boto3's TypeSerializer/TypeDeserializer: numbers are ``Decimal`` both ways,
and serialising a float raises instead of silently losing cents.
"""

from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

client = boto3.client("dynamodb")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_values(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_attribute_values(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def serialize(value: Any) -> dict[str, Any]:
    return _serializer.serialize(value)
