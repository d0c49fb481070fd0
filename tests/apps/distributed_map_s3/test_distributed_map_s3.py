"""Distributed Map over S3, through orderflow's pytest plugin:
pytest --orderflow-template template.yaml

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html,
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html,
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
"""

import json
from decimal import Decimal

PAYMENTS = b"id,amount\np-1,10.50\np-2,4.25\np-3,0.25\np-4,100.00\np-5,1.00\n"


def read_json(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_the_payments_are_summed_in_batches_and_written_to_the_bucket(orderflow_stack):
    s3, bucket = orderflow_stack.client("s3"), orderflow_stack.outputs["DataBucketName"]
    s3.put_object(Bucket=bucket, Key="in/payments.csv", Body=PAYMENTS)
    execution = orderflow_stack.start_execution(
        "SettleStateMachine", {"key": "in/payments.csv", "currency": "EUR"}
    )
    described = execution.wait(60)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert ":mapRun:Settle/" in output["MapRunArn"]
    written = output["ResultWriterDetails"]
    assert written["Bucket"] == bucket and written["Key"].startswith("results/")

    manifest = read_json(s3, bucket, written["Key"])
    assert manifest["ResultFiles"]["FAILED"] == [] and len(manifest["ResultFiles"]["SUCCEEDED"]) == 1
    children = read_json(s3, bucket, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    batches = sorted((json.loads(child["Output"]) for child in children), key=lambda batch: batch["ids"])
    assert [batch["ids"] for batch in batches] == [["p-1", "p-2"], ["p-3", "p-4"], ["p-5"]]
    assert {batch["currency"] for batch in batches} == {"EUR"}
    assert sum(Decimal(batch["total"]) for batch in batches) == Decimal("116.00")


def test_a_missing_object_fails_the_map(orderflow_stack):
    execution = orderflow_stack.start_execution(
        "SettleStateMachine", {"key": "in/none.csv", "currency": "EUR"}
    )
    described = execution.wait(30)
    assert described["status"] == "FAILED"
    assert "MapStateFailed" in orderflow_stack.history(execution).types()
