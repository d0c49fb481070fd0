"""Records that an order's customer was told its total."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["NOTIFICATIONS_TABLE"])


def handler(event, context):
    TABLE.put_item(Item={"order": event["order"], "total": event["total"]})
    return {"notified": event["order"]}
