"""Sells: records the trade with boto3."""

import os
from datetime import UTC, datetime

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TRADES_TABLE"])


def lambda_handler(event, context):
    trade = {
        "Id": context.aws_request_id,
        "type": "sell",
        "symbol": event["symbol"],
        "price": event["stock_price"],
        "timestamp": datetime.now(UTC).isoformat(),
    }
    table.put_item(Item=trade)
    return {**trade, "by": "python"}
