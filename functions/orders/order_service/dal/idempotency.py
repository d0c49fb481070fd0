"""Powertools idempotency records of OrdersApi (POST /orders under EXPRESS), in the IdempotencyTable."""

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from order_service.dal import dynamodb


def idempotency_store(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb.client)
