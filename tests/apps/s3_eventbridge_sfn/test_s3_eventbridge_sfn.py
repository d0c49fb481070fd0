"""S3 -> EventBridge -> Step Functions, through orderflow's pytest plugin:
pytest --orderflow-template template.yaml

An upload under uploads/ is an "Object Created" event on the default bus; the rule SAM made from the
state machine's EventBridgeRule event starts it, with the event as input.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html,
https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-cloudwatch-events-s3.html
"""

import json
import threading
import time


def wait_until(condition, what, deadline=20.0):
    pause, end = threading.Event(), time.monotonic() + deadline
    while not (value := condition()):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        pause.wait(0.05)
    return value


def executions(stack):
    sfn = stack.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=stack.outputs["IngestArn"])["executions"]
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]


def test_an_upload_starts_the_workflow_which_records_the_object(orderflow_stack):
    s3, bucket = orderflow_stack.client("s3"), orderflow_stack.outputs["InboxBucket"]
    s3.put_object(Bucket=bucket, Key="drafts/ignored.txt", Body=b"not under uploads/")
    s3.put_object(Bucket=bucket, Key="uploads/report.csv", Body=b"a,b\n1,2\n", ContentType="text/csv")
    table = orderflow_stack.outputs["ResultsTable"]
    dynamodb = orderflow_stack.client("dynamodb")
    item = wait_until(
        lambda: dynamodb.get_item(TableName=table, Key={"pk": {"S": "uploads/report.csv"}}).get("Item"),
        "the recorded upload",
    )
    assert item == {
        "pk": {"S": "uploads/report.csv"},
        "size": {"N": "8"},
        "contentType": {"S": "text/csv"},
        "reason": {"S": "PutObject"},
    }
    # orderflow makes EventBridge deliveries in order (one queue): had drafts/ matched, its execution
    # would be there by now
    [execution] = wait_until(
        lambda: [e for e in executions(orderflow_stack) if e["status"] != "RUNNING"], "the execution"
    )
    assert execution["status"] == "SUCCEEDED"
    event = json.loads(execution["input"])
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["detail"]["object"]["key"] == "uploads/report.csv"
    assert orderflow_stack.history(execution["executionArn"]).types()[-1] == "ExecutionSucceeded"


def test_a_delete_is_not_an_object_created_event(orderflow_stack):
    s3, bucket = orderflow_stack.client("s3"), orderflow_stack.outputs["InboxBucket"]
    before = len(executions(orderflow_stack))
    s3.put_object(Bucket=bucket, Key="uploads/gone.txt", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="uploads/gone.txt")
    s3.put_object(Bucket=bucket, Key="uploads/after.txt", Body=b"y")

    def started_for(key):
        return [
            e for e in executions(orderflow_stack) if json.loads(e["input"])["detail"]["object"]["key"] == key
        ]

    wait_until(lambda: started_for("uploads/after.txt"), "the execution of the upload after the delete")
    assert len(executions(orderflow_stack)) == before + 2  # the two uploads, not the delete
