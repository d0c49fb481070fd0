"""``sfn_result_writer``: a Distributed Map's ``ResultWriter`` exports its child executions to S3.

"ResultWriter (Map)" (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html,
"Exporting to Amazon S3"): Step Functions writes, under ``<Prefix>/<map run id>/``, one file per status
of the child executions that ended with it (``SUCCEEDED_0.json``, ``FAILED_0.json``, ``PENDING_0.json``),
each a JSON array of the executions (ExecutionArn, Input, Output or Error/Cause, Status, dates...), and a
``manifest.json`` naming them (``{"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED": [...],
"PENDING": [...], "SUCCEEDED": [{"Key", "Size"}]}}``). The Map state's output is ``{"MapRunArn",
"ResultWriterDetails": {"Bucket", "Key"}}``, the key being the manifest's.

moto writes the manifest alone and lists no file: the results are lost. The patch records every child
execution of a Map Run as it ends and writes the files and the manifest that lists them. moto's grammar
also refuses the JSONata form (``Arguments`` instead of ``Parameters``, same page): the patch takes the
``Arguments`` out before moto parses the definition and evaluates their ``{% %}`` values itself.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator import (
    distributed_iterator_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
    resource_eval_s3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl import (
    ResultWriter,
)
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError, ProgramStopped
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from .distributed_map import wrap_parse
from .jsonata import resolve_templates
from .registry import REGISTRY, Patch, Patcher

DistributedItemProcessorWorker = distributed_item_processor_worker.DistributedItemProcessorWorker
DistributedIteratorWorker = distributed_iterator_worker.DistributedIteratorWorker
ResourceEvalS3 = resource_eval_s3.ResourceEvalS3
CHILDREN = "_orderflow_children"
STATUSES = ("FAILED", "PENDING", "SUCCEEDED")
_lock = threading.Lock()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _children(record: Any) -> list[dict[str, Any]]:
    with _lock:
        if CHILDREN not in record.__dict__:
            record.__dict__[CHILDREN] = []
        children: list[dict[str, Any]] = record.__dict__[CHILDREN]
        return children


def _child(record: Any, job: Any, env: Any, started: datetime) -> dict[str, Any]:
    """One child execution as the result files list it (the guide's example, "SUCCEEDED_0.json")."""
    name = str(uuid.uuid4())
    state = env.program_state()
    child: dict[str, Any] = {
        "ExecutionArn": f"{record.map_state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}",
        "Input": to_json_str(job.job_input),
        "InputDetails": {"Included": True},
        "Name": name,
        "StateMachineArn": record.map_state_machine_arn,
        "StartDate": _timestamp(started),
        "StopDate": _timestamp(datetime.now(UTC)),
        "RedriveCount": 0,
    }
    if isinstance(state, ProgramEnded):
        status = "SUCCEEDED"
        child |= {"Output": to_json_str(job.job_output), "OutputDetails": {"Included": True}}
    elif isinstance(state, ProgramStopped):
        status = "ABORTED"
    else:
        status = "FAILED"
        error = (state.error or {}) if isinstance(state, ProgramError) else {}
        child |= {key.capitalize(): error[key] for key in ("error", "cause") if error.get(key) is not None}
    child["Status"] = status
    child["RedriveStatus"] = "NOT_REDRIVABLE"
    child["RedriveStatusReason"] = f"Execution is {status} and cannot be redriven"
    child["_index"] = job.job_index
    return child


def _recording(original: Any) -> Any:
    def _eval_job(self: Any, env: Any, job: Any) -> None:
        started = datetime.now(UTC)
        try:
            original(self, env, job)
        finally:
            record = self._map_run_record
            _children(record).append(_child(record, job, env, started))

    return _eval_job


def _put_object(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    parameters = dict(env.stack.pop())
    env.stack.pop()  # the Map's outputs: the files hold them
    s3 = ResourceEvalS3._get_s3_client(
        resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
    )
    record = env.map_run_record_pool_manager.get_all().pop()
    run_id = record.map_run_arn.split(":")[-1]
    prefix = str(parameters.get("Prefix") or "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    bucket = parameters["Bucket"]
    by_status: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    for child in sorted(_children(record), key=lambda child: child["_index"]):
        status = child["Status"] if child["Status"] in by_status else "FAILED"
        by_status[status].append({key: value for key, value in child.items() if key != "_index"})
    files: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    for status, children in by_status.items():
        if not children:
            continue
        key = f"{prefix}{run_id}/{status}_0.json"
        body = to_json_str(children).encode("utf-8")
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest_key = f"{prefix}{run_id}/manifest.json"
    manifest = {"DestinationBucket": bucket, "MapRunArn": record.map_run_arn, "ResultFiles": files}
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest, indent=2).encode("utf-8"))
    env.stack.append(
        {"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
    )


ARGUMENTS = "_orderflow_arguments"


def _take_arguments(state_json: dict[str, Any]) -> Any:
    writer = state_json.get("ResultWriter")
    if not isinstance(writer, dict) or "Arguments" not in writer:
        return None
    arguments = writer.pop("Arguments")
    writer["Parameters"] = {}  # a placeholder moto's grammar accepts; the Arguments are evaluated below
    return {"Arguments": arguments}


def _attach_arguments(state: Any, taken: Any) -> None:
    if state.result_writer is not None:
        setattr(state.result_writer, ARGUMENTS, taken["Arguments"])


def _apply_result_writer(patcher: Patcher) -> None:
    wrap_parse(patcher, _take_arguments, _attach_arguments)
    original_visit = Preprocessor.visitResult_writer_decl
    original_eval = ResultWriter._eval_body

    def visitResult_writer_decl(self: Any, ctx: Any) -> Any:
        # the placeholder Parameters of a JSONata ResultWriter: not refused as JSONPath-only here
        self._raise_if_query_language_is_not = lambda **_: None
        try:
            return original_visit(self, ctx)
        finally:
            del self._raise_if_query_language_is_not

    def _eval_body(self: Any, env: Any) -> None:
        arguments = getattr(self, ARGUMENTS, None)
        if arguments is None:
            original_eval(self, env)
            return
        env.stack.append(resolve_templates(env, arguments))
        self.resource_eval.eval_resource(env=env)

    patcher.replace(Preprocessor, "visitResult_writer_decl", visitResult_writer_decl)
    patcher.replace(ResultWriter, "_eval_body", _eval_body)
    for worker in (DistributedItemProcessorWorker, DistributedIteratorWorker):
        patcher.replace(worker, "_eval_job", _recording(worker._eval_job))
    patcher.replace(ResourceEvalS3, "_handle_put_object", staticmethod(_put_object))


SFN_RESULT_WRITER = REGISTRY.register(
    Patch(
        name="sfn_result_writer",
        kind="gap",
        summary=(
            "a Distributed Map's ResultWriter writes a manifest.json that lists no result file and no "
            "SUCCEEDED_n/FAILED_n.json: the child executions' results are lost"
        ),
        apply=_apply_result_writer,
    )
)
