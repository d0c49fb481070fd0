"""DynamoDB's attribute-value format, both ways, for every function that uses the low-level client.

boto3's TypeSerializer/TypeDeserializer: numbers are ``Decimal`` both ways, and serialising a float
raises instead of silently losing cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_value(value: Any) -> AttributeValueTypeDef:
    """One Python value -> ``{"S": ...}``, ``{"N": ...}``, ``{"M": ...}``..."""
    return _serializer.serialize(value)


def to_attribute_values(item: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """A Python item -> the ``Item`` of PutItem/TransactWriteItems."""
    return {name: to_attribute_value(value) for name, value in item.items()}


def from_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """An ``Item``/``Attributes`` of a response -> a Python item (numbers as ``Decimal``)."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}
