"""Distributed Map as the Step Functions developer guide documents it: the S3 inventory reader, item
batching and tolerated failures. Three patches (the result files are :mod:`.map_results`):

``sfn_item_reader_manifest``. ``ItemReader`` with ``"ReaderConfig": {"InputType": "MANIFEST"}`` reads
an S3 inventory ``manifest.json`` and iterates over the objects its CSV files (plain or gzipped) list,
one item per row with the manifest's ``fileSchema`` as keys ("ItemReader (Map)",
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html, "S3 inventory
manifest file"). moto refuses the definition (``'MANIFEST' is not a valid InputTypeValue``).

``sfn_item_batcher``. ``ItemBatcher`` groups items: each child execution gets ``{"Items": [...]}``
(plus ``"BatchInput"`` when given), at most ``MaxItemsPerBatch`` items and ``MaxInputBytesPerBatch``
bytes each ("ItemBatcher (Map)",
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html). moto's ASL grammar
has no ``ItemBatcher``: CreateStateMachine refuses the definition.

``sfn_tolerated_failure``. The Map Run fails with ``States.ExceedToleratedFailureThreshold`` when more
items fail than ``ToleratedFailureCount`` or ``ToleratedFailurePercentage`` allow; without either, one
failed item fails it ("Setting failure thresholds for Distributed Map states",
https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html). moto parses the
fields and ignores them (a failed item is a ``null`` output of a succeeded Map) and refuses an integer
``ToleratedFailurePercentage`` (its grammar wants a decimal point).

moto's grammar knows neither the new field nor the new value, so the two reading patches wrap the
definition parser: they take their field out of (or rewrite) the definition's JSON, let moto parse the
rest, and hang what they took on the parsed Map state.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
    resource_eval_s3 as reader_s3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
    ToleratedFailureCountDecl,
    ToleratedFailurePercentageDecl,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.json_path import extract_json

from .asl import states_failure
from .jsonata import resolve_templates
from .registry import REGISTRY, Patch, Patcher

DistributedIterationComponent = distributed_iteration_component.DistributedIterationComponent

# ------------------------------------------------------------------ definition fields moto cannot parse

Rewrite = Callable[[dict[str, Any]], Any]  # takes its field out of one Map state's JSON, returns it
Attach = Callable[[Any, Any], None]  # hangs it on the parsed StateMap


def _map_states(states_json: dict[str, Any], program: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """(state JSON, parsed state) of every Map state of a program, nested ones included."""
    for name, state_json in (states_json.get("States") or {}).items():
        state = program.states.states.get(name) if program is not None else None
        kind = state_json.get("Type")
        if kind == "Map":
            yield state_json, state
            inner = state_json.get("ItemProcessor") or state_json.get("Iterator") or {}
            component = getattr(state, "iteration_component", None)
            inner_states = getattr(component, "_states", None)
            yield from _map_states(inner, _ProgramView(inner_states) if inner_states else None)
        elif kind == "Parallel":
            programs = getattr(getattr(state, "branches", None), "programs", None) or []
            for index, branch in enumerate(state_json.get("Branches") or []):
                yield from _map_states(branch, programs[index] if index < len(programs) else None)


class _ProgramView:
    """A Map's inner states as the walk reads a program (``.states.states``)."""

    def __init__(self, states: Any):
        self.states = states


def wrap_parse(patcher: Patcher, rewrite: Rewrite, attach: Attach) -> None:
    """Wraps moto's definition parser: ``rewrite`` takes a field out of each Map state's JSON before moto
    parses it, ``attach`` hangs what it returned (when not None) on the parsed Map state."""
    original = AmazonStateLanguageParser.parse

    def parse(definition: str) -> Any:
        try:
            document = json.loads(definition)
        except ValueError:
            return original(definition)
        if not isinstance(document, dict):
            return original(definition)
        taken = [(state_json, rewrite(state_json)) for state_json, _ in _map_states(document, None)]
        if all(value is None for _, value in taken):
            return original(definition)
        program, tree = original(json.dumps(document))
        values = {id(state_json): value for state_json, value in taken}
        for state_json, state in _map_states(document, program):
            if state is not None and values.get(id(state_json)) is not None:
                attach(state, values[id(state_json)])
        return program, tree

    patcher.replace(AmazonStateLanguageParser, "parse", staticmethod(parse))


# ---------------------------------------------------------------------------- sfn_item_reader_manifest

MANIFEST = "MANIFEST"


class ManifestReader(EvalComponent):
    """Takes the place of moto's JSON/CSV transformer: the text read is an S3 inventory manifest."""

    def _eval_body(self, env: Any) -> None:
        reader_config = env.stack.pop()
        manifest_text = env.stack.pop()
        items = list(_inventory_items(env, manifest_text))
        max_items = reader_config.get("MaxItemsValue") if isinstance(reader_config, dict) else None
        env.stack.append(items[:max_items] if isinstance(max_items, int) else items)


def _reader_failed(env: Any, cause: str) -> Exception:
    return states_failure(
        env, StatesErrorNameType.StatesItemReaderFailed, cause, HistoryEventType.MapRunFailed
    )


def _s3_client(env: Any) -> Any:
    region = env.states.context_object.context_object_data["StateMachine"]["Id"].split(":")[3]
    credentials = StateCredentials(role_arn=env.aws_execution_details.role_arn)
    # looked up at call time: the runtime's in-process client patch replaces the module's function
    return reader_s3.boto_client_for(region=region, service="s3", state_credentials=credentials)


def _inventory_items(env: Any, manifest_text: str) -> Iterator[dict[str, str]]:
    try:
        manifest = json.loads(manifest_text)
        bucket = str(manifest["destinationBucket"]).removeprefix("arn:aws:s3:::")
        file_format = manifest.get("fileFormat", "CSV")
        columns = [column.strip() for column in str(manifest["fileSchema"]).split(",")]
        files = [entry["key"] for entry in manifest["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise _reader_failed(env, f"The S3 inventory manifest is not valid: {exc!r}") from None
    if file_format != "CSV":
        raise _reader_failed(env, f"S3 inventory fileFormat {file_format!r} is not supported; only CSV is.")
    s3 = _s3_client(env)
    for key in files:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body[:2] == b"\x1f\x8b":  # inventory files are gzipped CSV (key "....csv.gz")
            body = gzip.decompress(body)
        for row in csv.reader(io.StringIO(body.decode("utf-8"))):
            yield {column: row[index] if index < len(row) else "" for index, column in enumerate(columns)}


def _take_manifest(state_json: dict[str, Any]) -> Any:
    config = (state_json.get("ItemReader") or {}).get("ReaderConfig") or {}
    if config.get("InputType") != MANIFEST:
        return None
    config["InputType"] = "JSON"  # parsed as a JSON reader, its transformer replaced below
    return True


def _attach_manifest(state: Any, _: Any) -> None:
    if state.item_reader is not None:
        state.item_reader.resource_output_transformer = ManifestReader()


def _apply_item_reader_manifest(patcher: Patcher) -> None:
    wrap_parse(patcher, _take_manifest, _attach_manifest)


SFN_ITEM_READER_MANIFEST = REGISTRY.register(
    Patch(
        name="sfn_item_reader_manifest",
        kind="gap",
        summary=(
            'a Distributed Map ItemReader with InputType "MANIFEST" (an S3 inventory) is refused: '
            "'MANIFEST' is not a valid InputTypeValue"
        ),
        apply=_apply_item_reader_manifest,
    )
)

# ------------------------------------------------------------------------------------ sfn_item_batcher

BATCHER = "_orderflow_item_batcher"
MAX_BATCH_BYTES = 256 * 1024  # the guide: a batch is at most 256 KiB


def _take_batcher(state_json: dict[str, Any]) -> Any:
    return state_json.pop("ItemBatcher", None)


def _attach_batcher(state: Any, batcher: Any) -> None:
    jsonata = state.query_language.query_language_mode == QueryLanguageMode.JSONata
    setattr(state.iteration_component, BATCHER, (batcher, jsonata))


def _resolve(value: Any, state_input: Any) -> Any:
    """BatchInput as Parameters are: a key ending in ``.$`` takes the path's value."""
    if isinstance(value, dict):
        resolved = {}
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                resolved[key[:-2]] = extract_json(item, state_input)
            else:
                resolved[key] = _resolve(item, state_input)
        return resolved
    if isinstance(value, list):
        return [_resolve(item, state_input) for item in value]
    return value


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def batches(items: list[Any], batcher: dict[str, Any], state_input: Any) -> list[dict[str, Any]]:
    """The child inputs of ``items`` under ``batcher`` (the guide's rules, see the module docstring)."""
    max_items = batcher.get("MaxItemsPerBatch")
    if "MaxItemsPerBatchPath" in batcher:
        max_items = extract_json(batcher["MaxItemsPerBatchPath"], state_input)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    if "MaxInputBytesPerBatchPath" in batcher:
        max_bytes = extract_json(batcher["MaxInputBytesPerBatchPath"], state_input)
    max_bytes = min(int(max_bytes), MAX_BATCH_BYTES) if max_bytes else MAX_BATCH_BYTES
    extra = {"BatchInput": _resolve(batcher["BatchInput"], state_input)} if "BatchInput" in batcher else {}
    result: list[dict[str, Any]] = []
    current: list[Any] = []
    for item in items:
        full = max_items and len(current) >= int(max_items)
        too_big = current and _size({**extra, "Items": [*current, item]}) > max_bytes
        if full or too_big:
            result.append({**extra, "Items": current})
            current = []
        current.append(item)
    if current:
        result.append({**extra, "Items": current})
    return result


def _apply_item_batcher(patcher: Patcher) -> None:
    wrap_parse(patcher, _take_batcher, _attach_batcher)
    original = DistributedIterationComponent._map_run

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        declared = getattr(self, BATCHER, None)
        if declared is not None:
            batcher, jsonata = declared
            if jsonata:  # the Map state's JSONata form: "{% %}" values
                batcher = resolve_templates(env, batcher)
            items = env.stack.pop()
            env.stack.append(batches(items, batcher, env.states.get_input()))
        original(self, env, eval_input)

    patcher.replace(DistributedIterationComponent, "_map_run", _map_run)


SFN_ITEM_BATCHER = REGISTRY.register(
    Patch(
        name="sfn_item_batcher",
        kind="gap",
        summary="a Distributed Map with ItemBatcher is refused: moto's ASL grammar has no ItemBatcher",
        apply=_apply_item_batcher,
    )
)

# ------------------------------------------------------------------------------- sfn_tolerated_failure

DECLARED = "_orderflow_tolerance_declared"
_lock = threading.Lock()


def _take_percentage(state_json: dict[str, Any]) -> Any:
    value = state_json.get("ToleratedFailurePercentage")
    if isinstance(value, int) and not isinstance(value, bool):
        state_json["ToleratedFailurePercentage"] = float(value)  # moto's grammar wants a NUMBER token
        return True
    return None


def _exceeded(record: Any, declared: tuple[bool, bool]) -> str | None:
    failed = sum(
        counter.get()
        for counter in (
            record.item_counter.failed,
            record.item_counter.timed_out,
            record.item_counter.aborted,
        )
    )
    total = record.item_counter.total.get()
    if failed == 0:
        return None
    count_declared, percentage_declared = declared
    if not (count_declared or percentage_declared):
        return f"{failed} of {total} items failed and no failures are tolerated."
    if count_declared and failed > record.tolerated_failure_count:
        return f"{failed} items failed, over the ToleratedFailureCount of {record.tolerated_failure_count}."
    percentage = 100.0 * failed / total if total else 0.0
    if percentage_declared and percentage > record.tolerated_failure_percentage:
        return (
            f"{percentage:g}% of the items failed ({failed} of {total}), over the "
            f"ToleratedFailurePercentage of {record.tolerated_failure_percentage:g}."
        )
    return None


def _apply_tolerated_failure(patcher: Patcher) -> None:
    wrap_parse(patcher, _take_percentage, lambda state, value: None)
    original_props = StateMap.from_state_props
    original_map_run = DistributedIterationComponent._map_run

    def from_state_props(self: Any, state_props: Any) -> None:
        original_props(self, state_props)
        declared = (
            state_props.get(ToleratedFailureCountDecl) is not None,
            state_props.get(ToleratedFailurePercentageDecl) is not None,
        )
        setattr(self.iteration_component, DECLARED, declared)

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        original_map_run(self, env, eval_input)
        cause = _exceeded(eval_input.map_run_record, getattr(self, DECLARED, (False, False)))
        if cause is not None:
            raise states_failure(
                env,
                StatesErrorNameType.StatesExceedToleratedFailureThreshold,
                cause,
                HistoryEventType.MapRunFailed,
            )

    patcher.replace(StateMap, "from_state_props", from_state_props)
    patcher.replace(DistributedIterationComponent, "_map_run", _map_run)


SFN_TOLERATED_FAILURE = REGISTRY.register(
    Patch(
        name="sfn_tolerated_failure",
        kind="gap",
        summary=(
            "a Distributed Map ignores failed items (each is a null output of a succeeded Map) instead of "
            "failing with States.ExceedToleratedFailureThreshold past ToleratedFailureCount/Percentage; "
            "an integer ToleratedFailurePercentage is refused"
        ),
        apply=_apply_tolerated_failure,
    )
)
