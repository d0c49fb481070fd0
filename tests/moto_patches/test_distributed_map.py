"""Patches ``sfn_item_reader_manifest``, ``sfn_item_batcher`` and ``sfn_tolerated_failure``
(orderflow.runtime.moto.distributed_map), shown against plain moto: each gap test is a strict xfail
(see support.py), each patched test runs the same check with the patch on.
"""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto.distributed_map import batches
from tests.moto_patches.support import client, create_state_machine, finished_execution, gap

DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


def run(definition: dict[str, Any], payload: Any) -> dict[str, Any]:
    """The finished execution; a definition plain moto refuses is an assertion failure (the gap)."""
    sfn = client("stepfunctions")
    try:
        arn = create_state_machine(sfn, definition, name=f"m-{uuid.uuid4().hex[:8]}")
    except ClientError as exc:
        raise AssertionError(f"CreateStateMachine refused the definition: {exc}") from None
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    return finished_execution(sfn, execution)


def map_machine(**fields: Any) -> dict[str, Any]:
    processor = fields.pop("processor", ECHO)
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **processor},
                **fields,
                "End": True,
            }
        },
    }


# ---------------------------------------------------------------------- sfn_item_reader_manifest


def check_sfn_item_reader_manifest() -> None:
    """input-output-itemreader.html, "S3 inventory manifest file": one item per row of the inventory's
    (gzipped) CSV files, keyed by the manifest's fileSchema."""
    s3 = client("s3")
    s3.create_bucket(Bucket="inventory")
    rows = b'"photos","a.jpg","10"\n"photos","b/c.jpg","20"\n'
    s3.put_object(Bucket="inventory", Key="data/one.csv.gz", Body=gzip.compress(rows))
    s3.put_object(Bucket="inventory", Key="data/two.csv", Body=b'"photos","d.jpg","30"\n')
    manifest = {
        "sourceBucket": "photos",
        "destinationBucket": "arn:aws:s3:::inventory",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size",
        "files": [{"key": "data/one.csv.gz", "size": 1}, {"key": "data/two.csv", "size": 1}],
    }
    s3.put_object(Bucket="inventory", Key="inv/manifest.json", Body=json.dumps(manifest).encode())
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "MANIFEST"},
        "Parameters": {"Bucket": "inventory", "Key": "inv/manifest.json"},
    }
    done = run(map_machine(ItemReader=reader), {})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == [
        {"Bucket": "photos", "Key": "a.jpg", "Size": "10"},
        {"Bucket": "photos", "Key": "b/c.jpg", "Size": "20"},
        {"Bucket": "photos", "Key": "d.jpg", "Size": "30"},
    ]
    manifest["fileFormat"] = "ORC"
    s3.put_object(Bucket="inventory", Key="inv/manifest.json", Body=json.dumps(manifest).encode())
    done = run(map_machine(ItemReader=reader), {})
    assert (done["status"], done.get("error")) == ("FAILED", "States.ItemReaderFailed")


@gap("sfn_item_reader_manifest")
def test_sfn_item_reader_manifest_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_item_reader_manifest()


def test_sfn_item_reader_manifest_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_item_reader_manifest"):
        check_sfn_item_reader_manifest()


# ------------------------------------------------------------------------------ sfn_item_batcher


def check_sfn_item_batcher() -> None:
    """input-output-itembatcher.html: each child gets {"Items": [...]} (and BatchInput), at most
    MaxItemsPerBatch items; BatchInput's ".$" keys read the state input."""
    batcher = {"MaxItemsPerBatch": 2, "BatchInput": {"factor.$": "$.factor", "fixed": 1}}
    done = run(map_machine(ItemBatcher=batcher, ItemsPath="$.items"), {"items": [1, 2, 3], "factor": 10})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    given = {"factor": 10, "fixed": 1}
    assert json.loads(done["output"]) == [
        {"BatchInput": given, "Items": [1, 2]},
        {"BatchInput": given, "Items": [3]},
    ]


@gap("sfn_item_batcher")
def test_sfn_item_batcher_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_item_batcher()


def test_sfn_item_batcher_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_item_batcher"):
        check_sfn_item_batcher()


def test_batches_keep_under_max_input_bytes() -> None:
    """MaxInputBytesPerBatch: a batch closes before it would pass the size; Items only, no BatchInput."""
    items = ["x" * 10] * 5  # each item is 12 bytes of JSON
    result = batches(items, {"MaxInputBytesPerBatch": 40}, {})
    assert [len(batch["Items"]) for batch in result] == [2, 2, 1]
    assert all(set(batch) == {"Items"} for batch in result)
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 40 for batch in result)


# ------------------------------------------------------------------------- sfn_tolerated_failure

FAIL_ON_ODD = {
    "StartAt": "Odd",
    "States": {
        "Odd": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.odd", "BooleanEquals": True, "Next": "Fail"}],
            "Default": "Ok",
        },
        "Fail": {"Type": "Fail", "Error": "ItemFailed", "Cause": "odd"},
        "Ok": {"Type": "Pass", "End": True},
    },
}


def check_sfn_tolerated_failure() -> None:
    """maprun-fail-threshold.html: no threshold, one failed item fails the Map Run; past
    ToleratedFailurePercentage (an integer) or ToleratedFailureCount it fails with
    States.ExceedToleratedFailureThreshold, which Catch sees; within them the Map succeeds."""
    items = [{"odd": n % 2 == 1} for n in range(4)]  # 2 of 4 fail
    failed = run(map_machine(processor=FAIL_ON_ODD), items)
    assert (failed["status"], failed.get("error")) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    within = run(map_machine(processor=FAIL_ON_ODD, ToleratedFailurePercentage=50), items)
    assert within["status"] == "SUCCEEDED", within.get("cause")
    over = run(map_machine(processor=FAIL_ON_ODD, ToleratedFailureCount=1), items)
    assert (over["status"], over.get("error")) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    caught = map_machine(
        processor=FAIL_ON_ODD,
        ToleratedFailurePercentage=25,
        Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Handled"}],
    )
    caught["States"]["Map"].pop("End")
    caught["States"]["Map"]["Next"] = "Never"
    caught["States"]["Never"] = {"Type": "Fail", "Error": "NotCaught"}
    caught["States"]["Handled"] = {"Type": "Pass", "Result": "handled", "End": True}
    handled = run(caught, items)
    assert handled["status"] == "SUCCEEDED", handled.get("cause")
    assert handled["output"].strip('"') == "handled"  # plain moto sends a string output unquoted


@gap("sfn_tolerated_failure")
def test_sfn_tolerated_failure_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_tolerated_failure()


def test_sfn_tolerated_failure_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_tolerated_failure"):
        check_sfn_tolerated_failure()


def test_sfn_item_batcher_jsonata(moto_aws: None) -> None:
    """input-output-itembatcher.html, JSONata: the fields may be {% %} expressions over $states.input."""
    batcher = {
        "MaxItemsPerBatch": "{% $states.input.size %}",
        "BatchInput": {"run": "{% $states.input.run %}"},
    }
    definition = map_machine(ItemBatcher=batcher, Items="{% $states.input.items %}")
    definition["QueryLanguage"] = "JSONata"
    with REGISTRY.enabled("sfn_jsonata", "sfn_item_batcher"):
        done = run(definition, {"items": [1, 2, 3], "size": 2, "run": "r-1"})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == [
        {"BatchInput": {"run": "r-1"}, "Items": [1, 2]},
        {"BatchInput": {"run": "r-1"}, "Items": [3]},
    ]
