"""POST /decisions {"token": ..., "approved": true|false, "by": ...}: the reviewer's answer, sent
back to the waiting workflow with its task token."""

import json

import boto3

sfn = boto3.client("stepfunctions")


def handler(event, context):
    body = json.loads(event.get("body") or "{}")
    if not isinstance(body.get("token"), str) or not isinstance(body.get("approved"), bool):
        return {"statusCode": 400, "body": json.dumps({"message": "token and approved are required"})}
    try:
        if body["approved"]:
            sfn.send_task_success(taskToken=body["token"], output=json.dumps({"by": body.get("by", "")}))
        else:
            sfn.send_task_failure(taskToken=body["token"], error="Rejected", cause=body.get("by", ""))
    except (sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist, sfn.exceptions.TaskTimedOut):
        return {"statusCode": 404, "body": json.dumps({"message": "no task waits for this token"})}
    return {"statusCode": 202, "body": json.dumps({"accepted": True})}
