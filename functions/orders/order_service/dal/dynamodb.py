"""The DynamoDB client of the order functions, created once per execution environment.

Items go through ``orderflow_common.dynamodb_items`` (the attribute-value format, numbers as Decimal).
"""

import boto3

client = boto3.client("dynamodb")
