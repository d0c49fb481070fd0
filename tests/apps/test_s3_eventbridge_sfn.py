"""Sample app: S3 -> EventBridge -> Step Functions (tests/apps/s3_eventbridge_sfn). An upload under
uploads/ is an "Object Created" event on the default bus; the rule SAM made from the state machine's
EventBridgeRule event starts it as the rule's role, with the event as input.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html,
https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-cloudwatch-events-s3.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apps.app_support import executions_of, wait_until
from tests.runtime.runtime_support import running

TEMPLATE = Path(__file__).parent / "s3_eventbridge_sfn" / "template.yaml"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running(TEMPLATE, "s3ebsfn", state_dir=tmp_path_factory.mktemp("state")) as runtime:
        yield runtime


def test_an_upload_starts_the_workflow_which_records_the_object(rt: Any) -> None:
    s3, bucket = rt.client("s3"), rt.outputs["InboxBucket"]
    s3.put_object(Bucket=bucket, Key="drafts/ignored.txt", Body=b"not under uploads/")
    s3.put_object(Bucket=bucket, Key="uploads/report.csv", Body=b"a,b\n1,2\n", ContentType="text/csv")
    assert rt.wait_for_events(10)  # every matched delivery made (the rule matched one upload)
    [execution] = executions_of(rt, rt.outputs["IngestArn"])
    event = json.loads(execution["input"])
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["detail"]["object"]["key"] == "uploads/report.csv"
    sfn = rt.client("stepfunctions")
    done = wait_until(
        lambda: (
            (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d
        ),
        "the execution",
    )
    assert done["status"] == "SUCCEEDED", done
    item = rt.client("dynamodb").get_item(
        TableName=rt.outputs["ResultsTable"], Key={"pk": {"S": "uploads/report.csv"}}
    )
    assert item["Item"] == {
        "pk": {"S": "uploads/report.csv"},
        "size": {"N": "8"},
        "contentType": {"S": "text/csv"},
        "reason": {"S": "PutObject"},
    }


def test_a_delete_is_not_an_object_created_event(rt: Any) -> None:
    s3, bucket = rt.client("s3"), rt.outputs["InboxBucket"]
    before = len(executions_of(rt, rt.outputs["IngestArn"]))
    s3.put_object(Bucket=bucket, Key="uploads/gone.txt", Body=b"x")
    assert rt.wait_for_events(10)
    s3.delete_object(Bucket=bucket, Key="uploads/gone.txt")
    assert rt.wait_for_events(10)
    assert len(executions_of(rt, rt.outputs["IngestArn"])) == before + 1
