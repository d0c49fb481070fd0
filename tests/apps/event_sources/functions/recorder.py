"""Writes every event it is invoked with to the SEEN_TABLE, labelled by its LABEL."""

import json
import os
import uuid

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["SEEN_TABLE"])


def handler(event, context):
    TABLE.put_item(Item={"pk": str(uuid.uuid4()), "label": os.environ["LABEL"], "event": json.dumps(event)})
    return {"recorded": os.environ["LABEL"]}
