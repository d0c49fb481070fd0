"""Conformance: Parallel, inline Map and Distributed Map, from their guide pages.

* "Parallel workflow state": https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html
* "Map state in Inline mode": https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
* "Map state in Distributed mode": https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
* "ItemReader (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
* "ItemBatcher (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
* "ResultWriter (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
* "Setting failure thresholds for Distributed Map states":
  https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
"""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.harness import Conformance, LambdaError, client

SHIPMENT = {
    "ship-date": "2016-03-14T01:59:00Z",
    "detail": {
        "delivery-partner": "UQS",
        "shipped": [
            {"prod": "R31", "dest-code": 9511, "quantity": 1344},
            {"prod": "S39", "dest-code": 9511, "quantity": 40},
            {"prod": "R31", "dest-code": 9833, "quantity": 12},
            {"prod": "R40", "dest-code": 9860, "quantity": 887},
            {"prod": "R40", "dest-code": 9511, "quantity": 1220},
        ],
    },
}

PASS_PROCESSOR = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def map_machine(map_state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Map", "States": {"Map": {"Type": "Map", **map_state, "End": True}}}


def test_parallel_output_is_the_array_of_branch_outputs(aws: Conformance) -> None:
    """state-parallel.html: the output is an array with one element per branch, in branch order."""
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Add",
                        "States": {
                            "Add": {
                                "Type": "Pass",
                                "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                                "End": True,
                            }
                        },
                    },
                    {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
                ],
                "End": True,
            }
        },
    }
    done = aws.run(definition, {"a": 3, "b": 2})
    assert done.output == [{"sum": 5}, {"a": 3, "b": 2}]


def test_parallel_branch_failure_fails_the_state(aws: Conformance) -> None:
    """state-parallel.html: "If any branch fails ... the entire Parallel state fails"; Catch sees
    its error."""
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "Boom",
                        "States": {"Boom": {"Type": "Fail", "Error": "BranchFailed", "Cause": "b2"}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["BranchFailed"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED"
    assert done.output == {"Error": "BranchFailed", "Cause": "b2"}


def test_inline_map_items_path_and_item_selector(aws: Conformance) -> None:
    """state-map-inline.html: the "ship-val" example: ItemsPath, ItemSelector with $$.Map.Item.Value."""
    definition = map_machine(
        {
            "ItemsPath": "$.detail.shipped",
            "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.detail.delivery-partner"},
            "ItemProcessor": PASS_PROCESSOR,
            "ResultPath": "$.detail.shipped",
        }
    )
    done = aws.run(definition, SHIPMENT)
    shipped = done.output["detail"]["shipped"]
    assert shipped == [{"parcel": item, "courier": "UQS"} for item in SHIPMENT["detail"]["shipped"]]


def test_inline_map_item_index_and_max_concurrency(aws: Conformance) -> None:
    """state-map-inline.html: $$.Map.Item.Index is the item's position; MaxConcurrency 1 keeps order."""
    definition = map_machine(
        {
            "MaxConcurrency": 1,
            "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
            "ItemProcessor": PASS_PROCESSOR,
        }
    )
    done = aws.run(definition, ["a", "b", "c"])
    assert done.output == [{"index": 0, "value": "a"}, {"index": 1, "value": "b"}, {"index": 2, "value": "c"}]


def test_inline_map_with_legacy_iterator_and_parameters(aws: Conformance) -> None:
    """state-map-inline.html ("Iterator" and "Parameters" are the deprecated names of ItemProcessor
    and ItemSelector, still accepted)."""
    definition = map_machine(
        {"ItemsPath": "$.items", "Parameters": {"v.$": "$$.Map.Item.Value"}, "Iterator": PASS_PROCESSOR}
    )
    done = aws.run(definition, {"items": [1, 2]})
    assert done.output == [{"v": 1}, {"v": 2}]


def s3_object(bucket: str, key: str, body: str) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def test_distributed_map_item_reader_json(aws: Conformance) -> None:
    """input-output-itemreader.html: a JSON array in S3 (InputType JSON) gives one item per element."""
    s3_object("reader-json", "data.json", json.dumps([{"id": 1}, {"id": 2}, {"id": 3}]))
    definition = map_machine(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "reader-json", "Key": "data.json"},
            },
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_distributed_map_item_reader_csv_with_header_row(aws: Conformance) -> None:
    """input-output-itemreader.html: CSV with CSVHeaderLocation FIRST_ROW: each row an object of
    strings keyed by the header."""
    s3_object("reader-csv", "ratings.csv", "rating,movieId,userId\n3.5,1,1\n4,2,1\n")
    definition = map_machine(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "reader-csv", "Key": "ratings.csv"},
            },
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == [
        {"rating": "3.5", "movieId": "1", "userId": "1"},
        {"rating": "4", "movieId": "2", "userId": "1"},
    ]


def test_distributed_map_item_reader_list_objects(aws: Conformance) -> None:
    """input-output-itemreader.html: s3:listObjectsV2 gives one item per object (Key, Size, ...)."""
    s3_object("reader-list", "a.txt", "1")
    client("s3").put_object(Bucket="reader-list", Key="b.txt", Body=b"22")
    definition = map_machine(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:listObjectsV2",
                "Parameters": {"Bucket": "reader-list"},
            },
            "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "size.$": "$$.Map.Item.Value.Size"},
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == [{"key": "a.txt", "size": 1}, {"key": "b.txt", "size": 2}]


def test_distributed_map_item_reader_manifest(aws: Conformance) -> None:
    """input-output-itemreader.html: an S3 inventory manifest (InputType MANIFEST): the objects the
    inventory's CSV files list, each item with Bucket and Key."""
    s3 = client("s3")
    s3.create_bucket(Bucket="inventory")
    s3.put_object(
        Bucket="inventory", Key="data/part-1.csv", Body=b'"source-bucket","a.txt"\n"source-bucket","b.txt"\n'
    )
    manifest = {
        "sourceBucket": "source-bucket",
        "destinationBucket": "arn:aws:s3:::inventory",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key",
        "files": [{"key": "data/part-1.csv", "size": 48, "MD5checksum": "x"}],
    }
    s3.put_object(Bucket="inventory", Key="manifest.json", Body=json.dumps(manifest).encode())
    definition = map_machine(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "MANIFEST"},
                "Parameters": {"Bucket": "inventory", "Key": "manifest.json"},
            },
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert [(item["Bucket"], item["Key"]) for item in done.output] == [
        ("source-bucket", "a.txt"),
        ("source-bucket", "b.txt"),
    ]


def test_distributed_map_item_batcher(aws: Conformance) -> None:
    """input-output-itembatcher.html: MaxItemsPerBatch groups items; each child gets {"Items": [...]}
    and BatchInput as "BatchInput"."""
    definition = map_machine(
        {
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"factor": 10}},
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
        }
    )
    done = aws.run(definition, [1, 2, 3])
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == [
        {"BatchInput": {"factor": 10}, "Items": [1, 2]},
        {"BatchInput": {"factor": 10}, "Items": [3]},
    ]


def test_distributed_map_result_writer(aws: Conformance) -> None:
    """input-output-resultwriter.html: results written to S3; the state's output names the MapRun
    and the manifest ({"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}})."""
    client("s3").create_bucket(Bucket="results")
    definition = map_machine(
        {
            "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "results", "Prefix": "out"},
            },
        }
    )
    done = aws.run(definition, [1, 2])
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    details = done.output["ResultWriterDetails"]
    assert details["Bucket"] == "results"
    assert details["Key"].startswith("out/") and details["Key"].endswith("manifest.json")
    assert ":mapRun:" in done.output["MapRunArn"]
    manifest = json.loads(client("s3").get_object(Bucket="results", Key=details["Key"])["Body"].read())
    assert manifest["ResultFiles"]["SUCCEEDED"], manifest


def failing_on(values: set[int]) -> Any:
    def handler(event: Any) -> Any:
        if event in values:
            raise LambdaError("ItemFailed", f"item {event}")
        return event

    return handler


def test_distributed_map_tolerated_failure_percentage(aws: Conformance) -> None:
    """maprun-fail-threshold.html: 1 of 4 items failing is within ToleratedFailurePercentage 50."""
    arn = aws.function("maybe-fail", failing_on({3}))
    definition = map_machine(
        {
            "ToleratedFailurePercentage": 50,
            "ItemProcessor": {
                "ProcessorConfig": DISTRIBUTED,
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": arn, "End": True}},
            },
        }
    )
    done = aws.run(definition, [1, 2, 3, 4])
    assert done.status == "SUCCEEDED", (done.error, done.cause)


def test_distributed_map_failure_over_threshold(aws: Conformance) -> None:
    """maprun-fail-threshold.html: past the threshold the Map state fails with
    States.ExceedToleratedFailureThreshold."""
    arn = aws.function("mostly-fail", failing_on({1, 2, 3}))
    definition = map_machine(
        {
            "ToleratedFailurePercentage": 50,
            "ItemProcessor": {
                "ProcessorConfig": DISTRIBUTED,
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": arn, "End": True}},
            },
        }
    )
    done = aws.run(definition, [1, 2, 3, 4])
    assert (done.status, done.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_distributed_map_jsonata_reader_batcher_writer(aws: Conformance) -> None:
    """input-output-itemreader.html, input-output-itembatcher.html and input-output-resultwriter.html,
    JSONata: "Parameters will be replaced with Arguments"; {% %} expressions in ItemBatcher. The CSV's
    rows go to children in batches of 2; the results land in S3 and the output names the manifest."""
    s3 = client("s3")
    s3.create_bucket(Bucket="jsonata-data")
    s3.put_object(Bucket="jsonata-data", Key="rows.csv", Body=b"id,name\n1,a\n2,b\n3,c\n")
    definition = {
        "QueryLanguage": "JSONata",
        **map_machine(
            {
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Arguments": {"Bucket": "jsonata-data", "Key": "{% $states.input.key %}"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.size %}"},
                "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, **PASS_PROCESSOR},
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Arguments": {"Bucket": "jsonata-data", "Prefix": "{% $states.input.prefix %}"},
                },
            }
        ),
    }
    done = aws.run(definition, {"key": "rows.csv", "size": 2, "prefix": "out"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    key = done.output["ResultWriterDetails"]["Key"]
    assert key.startswith("out/") and key.endswith("/manifest.json")
    manifest = json.loads(s3.get_object(Bucket="jsonata-data", Key=key)["Body"].read())
    [entry] = manifest["ResultFiles"]["SUCCEEDED"]
    children = json.loads(s3.get_object(Bucket="jsonata-data", Key=entry["Key"])["Body"].read())
    assert [json.loads(child["Output"]) for child in children] == [
        {"Items": [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]},
        {"Items": [{"id": "3", "name": "c"}]},
    ]
