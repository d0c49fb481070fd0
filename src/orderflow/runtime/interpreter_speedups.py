"""Speed-ups of moto 5.2.5's ASL interpreter for the local runtime.

Not gaps: moto runs executions correctly without them, only slower. :func:`install` applies them
through :mod:`.moto_adapter`'s patch registry (so ``moto_adapter.uninstall`` removes them too); each
has a test in tests/runtime/test_runtime_moto_adapter.py named after its letter, and each is worth
reporting upstream:

(i) ``sfn_client_per_task`` - the ASL interpreter builds a new boto3 client for every task
    (``boto_client_for``, ~5-10 ms each) and calls back into the same process over HTTP. Here its
    Lambda tasks call ``LambdaBackend.invoke`` in-process (:class:`InProcessLambdaClient`: the same
    lookup and errors, ~15 ms less per task on a loaded laptop) and the other services' clients are
    built once per (region, service, port), at 127.0.0.1. Worth reporting upstream.
(j) ``sfn_parse_per_execution`` - every execution re-parses its definition with the ANTLR parser
    (~100-300 ms for a 7-state workflow, i.e. more than everything else an execution does). The
    parsed program is immutable once built (components only set attributes while being constructed;
    per-run state lives in the Environment), so parses are cached per definition text. Worth
    reporting upstream.
(k) ``sfn_jsonpath_per_evaluation`` - every JSONPath evaluation (``InputPath``, ``Parameters``
    ``"x.$"``, ``ResultPath``...) builds a new jsonpath-ng parser (ply lexer + LALR tables) and parses
    the path: a third of the interpreter's CPU per execution. Compiled expressions are immutable
    (``find``/``update_or_create`` only touch the data), so they are cached per path text. Worth
    reporting upstream.
(m) ``sfn_deepcopy`` - the interpreter deep-copies a state's input, result and context several
    times per state (``States.get_input``/``reset``/``set_result``, the task frame's stack, each
    history event) with ``copy.deepcopy``, whose memo and reduce protocol made copying ~70% of its
    CPU for a chain of Lambda tasks. These are JSON documents: dicts, lists, strings, numbers,
    booleans and None are copied by a plain recursion (~3x faster), anything else still by
    ``copy.deepcopy``. The copies stay independent of the original, as before. Worth reporting
    upstream.
"""

from __future__ import annotations

import copy
import functools
import importlib
import sys
import uuid
from collections.abc import Callable
from typing import Any

Patch = Callable[[Any, str, Any], None]

_sfn_clients: dict[tuple[str, str, str | None], Any] = {}
_parsed_definitions: dict[str, Any] = {}


def install(patch: Patch) -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path as result_path_module
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module
    from moto.stepfunctions.parser.asl.utils import json_path as json_path_module

    # (j) parsed programs, per definition text
    original_parse = AmazonStateLanguageParser.parse

    def parse(definition: str) -> Any:
        parsed = _parsed_definitions.get(definition)
        if parsed is None:
            parsed = original_parse(definition)
            if len(_parsed_definitions) >= 64:
                _parsed_definitions.clear()
            _parsed_definitions[definition] = parsed
        return parsed

    patch(AmazonStateLanguageParser, "parse", staticmethod(parse))

    # (k) compiled JSONPath expressions, per path text
    for module in (json_path_module, result_path_module):
        patch(module, "parse", functools.lru_cache(maxsize=4096)(module.parse))

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if service == "lambda":
            return InProcessLambdaClient(region)
        from moto.settings import moto_server_port

        key = (region, service, moto_server_port())
        client = _sfn_clients.get(key)
        if client is None:
            client = _sfn_clients[key] = _service_client(region, service, moto_server_port())
        return client

    patch(lambda_eval_utils, "boto_client_for", client_for)
    for module in _modules_importing(boto_client_module.__name__, "boto_client_for"):
        patch(module, "boto_client_for", client_for)

    # (m) JSON documents copied without copy.deepcopy's machinery
    for name in _COPYING_MODULES:
        importlib.import_module(name)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser.asl.") and getattr(module, "copy", None) is copy:
            patch(module, "copy", _JSON_COPY)


# The interpreter modules that copy states' data, imported before (m) patches their ``copy``.
_COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
)


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for JSON documents, without its memo: dict and list are rebuilt, str, int,
    float, bool and None are immutable and shared; any other object (or a call with a memo) goes to
    ``copy.deepcopy``."""
    if memo is not None:
        return copy.deepcopy(value, memo)
    kind = type(value)
    if kind is dict:
        return {key: json_deepcopy(item) for key, item in value.items()}
    if kind is list:
        return [json_deepcopy(item) for item in value]
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    return copy.deepcopy(value)


class _JsonCopy:
    """Stands in for the ``copy`` module in the interpreter's modules."""

    deepcopy = staticmethod(json_deepcopy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_JSON_COPY = _JsonCopy()


def clear() -> None:
    _sfn_clients.clear()
    _parsed_definitions.clear()


def _service_client(region: str, service: str, port: str) -> Any:
    """The client moto's ``boto_client_for`` builds, once, and at 127.0.0.1 rather than "localhost"
    (which may resolve to ::1 first, where the embedded AWS does not listen)."""
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",  # noqa: S106 - the embedded AWS takes any key
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        ),
    )


def _modules_importing(module_name: str, attr: str) -> list[Any]:
    """The already imported moto.stepfunctions modules that did ``from module_name import attr``."""
    import sys

    original = getattr(sys.modules[module_name], attr)
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser.asl")
        and name != module_name
        and module is not None
        and module.__dict__.get(attr) is original
    ]


class InProcessLambdaClient:
    """What the ASL interpreter's Lambda tasks get instead of a boto3 client: Invoke through moto's
    own LambdaBackend.invoke (same function lookup, qualifiers and errors), minus an HTTP round trip
    and a boto3 client build per task. Errors become botocore ClientErrors, as over the wire."""

    def __init__(self, region: str):
        self.region = region

    def invoke(self, FunctionName: str, Payload: Any = None, **kwargs: Any) -> dict[str, Any]:
        import io

        from botocore.exceptions import ClientError
        from moto.awslambda.utils import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.exceptions import ServiceException, _RESTError

        headers = {"X-Amz-Invocation-Type": kwargs.get("InvocationType", "RequestResponse")}
        response_headers: dict[str, Any] = {}
        try:
            payload = get_backend(DEFAULT_ACCOUNT_ID, self.region).invoke(
                FunctionName, kwargs.get("Qualifier"), Payload, headers, response_headers
            )
        except (_RESTError, ServiceException) as exc:
            code = exc.error_type if isinstance(exc, _RESTError) else exc.code
            status = exc.code if isinstance(exc, _RESTError) else 400
            metadata = {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())}
            error = {"Error": {"Code": code, "Message": exc.message}, "ResponseMetadata": metadata}
            raise ClientError(error, "Invoke") from exc
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        response: dict[str, Any] = {
            "StatusCode": 202 if headers["X-Amz-Invocation-Type"] == "Event" else 200,
            "ExecutedVersion": "$LATEST",
            "Payload": io.BytesIO(payload or b""),
        }
        if response_headers.get("x-amz-function-error"):
            response["FunctionError"] = response_headers["x-amz-function-error"]
        return response
