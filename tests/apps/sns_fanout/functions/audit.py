"""Keeps every notification of the topic in the audit table."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def handler(event, context):
    for record in event["Records"]:
        sns = record["Sns"]
        kind = sns["MessageAttributes"].get("kind", {}).get("Value", "")
        TABLE.put_item(
            Item={
                "messageId": sns["MessageId"],
                "topic": sns["TopicArn"],
                "kind": kind,
                "message": sns["Message"],
            }
        )
