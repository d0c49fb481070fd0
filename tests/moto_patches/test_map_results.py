"""Patch ``sfn_result_writer`` (orderflow.runtime.moto.map_results), shown against plain moto: the gap
test is a strict xfail (see support.py), the patched test runs the same check with the patch on.
"""

from __future__ import annotations

import json
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import client, gap
from tests.moto_patches.test_distributed_map import FAIL_ON_ODD, map_machine, run


def read(bucket: str, key: str) -> Any:
    return json.loads(client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def check_sfn_result_writer() -> None:
    """input-output-resultwriter.html, "Exporting to Amazon S3": the output names the manifest under
    <Prefix>/<map run id>/; the manifest lists SUCCEEDED_0.json and FAILED_0.json with their sizes;
    each file holds the child executions of that status (Input/Output as JSON text, Error/Cause)."""
    client("s3").create_bucket(Bucket="results")
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "results", "Prefix": "runs"},
    }
    items = [{"odd": False, "n": 0}, {"odd": True, "n": 1}, {"odd": False, "n": 2}]
    done = run(map_machine(processor=FAIL_ON_ODD, ResultWriter=writer, ToleratedFailureCount=1), items)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    output = json.loads(done["output"])
    run_id = output["MapRunArn"].split(":")[-1]
    assert output["ResultWriterDetails"] == {"Bucket": "results", "Key": f"runs/{run_id}/manifest.json"}
    manifest = read("results", f"runs/{run_id}/manifest.json")
    assert manifest["DestinationBucket"] == "results"
    assert manifest["MapRunArn"] == output["MapRunArn"]
    files = manifest["ResultFiles"]
    assert [entry["Key"] for entry in files["SUCCEEDED"]] == [f"runs/{run_id}/SUCCEEDED_0.json"]
    assert [entry["Key"] for entry in files["FAILED"]] == [f"runs/{run_id}/FAILED_0.json"]
    assert files["PENDING"] == []
    succeeded = read("results", files["SUCCEEDED"][0]["Key"])
    size = len(client("s3").get_object(Bucket="results", Key=files["SUCCEEDED"][0]["Key"])["Body"].read())
    assert files["SUCCEEDED"][0]["Size"] == size
    assert [json.loads(child["Input"]) for child in succeeded] == [items[0], items[2]]
    assert [json.loads(child["Output"]) for child in succeeded] == [items[0], items[2]]
    assert {child["Status"] for child in succeeded} == {"SUCCEEDED"}
    assert all(":execution:" in child["ExecutionArn"] for child in succeeded)
    [failed] = read("results", files["FAILED"][0]["Key"])
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "ItemFailed", "odd")
    assert "Output" not in failed


@gap("sfn_result_writer")
def test_sfn_result_writer_gap_in_plain_moto(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_tolerated_failure"):  # the check's ToleratedFailureCount, not the gap
        check_sfn_result_writer()


def test_sfn_result_writer_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_tolerated_failure", "sfn_result_writer"):
        check_sfn_result_writer()


def test_sfn_result_writer_jsonata_arguments(moto_aws: None) -> None:
    """input-output-resultwriter.html: "For JSONata states, Parameters will be replaced with Arguments"
    ({% %} values evaluated over $states.input); plain moto's grammar refuses the field."""
    client("s3").create_bucket(Bucket="results")
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Arguments": {"Bucket": "results", "Prefix": "{% $states.input.prefix %}"},
    }
    definition = map_machine(ResultWriter=writer, Items="{% $states.input.items %}")
    definition["QueryLanguage"] = "JSONata"
    with REGISTRY.enabled("sfn_jsonata", "sfn_result_writer"):
        done = run(definition, {"items": [1, 2], "prefix": "jsonata"})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    key = json.loads(done["output"])["ResultWriterDetails"]["Key"]
    assert key.startswith("jsonata/") and key.endswith("/manifest.json")
    assert read("results", key)["ResultFiles"]["SUCCEEDED"]
