"""Describes an uploaded object: its size and content type."""

import boto3

S3 = boto3.client("s3")


def handler(event, context):
    head = S3.head_object(Bucket=event["bucket"], Key=event["key"])
    return {"key": event["key"], "size": head["ContentLength"], "contentType": head.get("ContentType", "")}
