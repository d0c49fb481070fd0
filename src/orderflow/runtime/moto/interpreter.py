"""Speed-ups of moto's ASL interpreter. Not gaps: moto runs executions correctly without them, only
slower. Each is a registry patch of kind "speed-up" (see the summaries below) and worth reporting
upstream.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import sys
import uuid
from typing import Any

import boto3
from botocore.config import Config
from moto.awslambda.utils import get_backend as lambda_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException, _RESTError
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.path import result_path as result_path_module
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.eval import environment, states
from moto.stepfunctions.parser.asl.eval.event import event_manager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module
from moto.stepfunctions.parser.asl.utils import json_path as json_path_module
from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # noqa: F401 - loads every task type

from .. import aws_wire
from . import hooks
from .registry import REGISTRY, Patch, Patcher

# ----------------------------------------------------------------------- sfn_inprocess_clients

_sfn_clients: dict[tuple[str, str, str | None], Any] = {}


class InProcessLambdaClient:
    """What the ASL interpreter's Lambda tasks get instead of a boto3 client: Invoke through moto's
    own LambdaBackend.invoke (same function lookup, qualifiers and errors), minus an HTTP round trip
    and a boto3 client build per task. Errors become botocore ClientErrors, as over the wire."""

    def __init__(self, region: str):
        self.region = region

    def invoke(self, FunctionName: str, Payload: Any = None, **kwargs: Any) -> dict[str, Any]:
        headers = {"X-Amz-Invocation-Type": kwargs.get("InvocationType", "RequestResponse")}
        response_headers: dict[str, Any] = {}
        injected = _injected_fault(FunctionName)
        if injected is not None:
            return injected
        try:
            payload = lambda_backend(DEFAULT_ACCOUNT_ID, self.region).invoke(
                FunctionName, kwargs.get("Qualifier"), Payload, headers, response_headers
            )
        except (_RESTError, ServiceException) as exc:
            code = exc.error_type if isinstance(exc, _RESTError) else exc.code
            status = exc.code if isinstance(exc, _RESTError) else 400
            raise aws_wire.client_error(code, exc.message, status, "Invoke") from exc
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        status = 202 if headers["X-Amz-Invocation-Type"] == "Event" else 200
        # as botocore parses the Invoke response: the request id is the invocation's (see awslambda)
        request_id = response_headers.get("x-amzn-requestid") or str(uuid.uuid4())
        http_headers = {
            "content-type": "application/json",
            "x-amz-executed-version": "$LATEST",
            "x-amzn-requestid": request_id,
        }
        response: dict[str, Any] = {
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": status,
                "HTTPHeaders": http_headers,
                "RetryAttempts": 0,
            },
            "StatusCode": status,
            "ExecutedVersion": "$LATEST",
            "Payload": io.BytesIO(payload or b""),
        }
        if response_headers.get("x-amz-function-error"):
            response["FunctionError"] = response_headers["x-amz-function-error"]
            http_headers["x-amz-function-error"] = response["FunctionError"]
        return response


def _injected_fault(function_name: str) -> dict[str, Any] | None:
    """The runtime's fault injection for this Invoke (which skips the HTTP middleware that injects
    the other calls' faults): a crash is a 200 with FunctionError, an error a ClientError, as
    botocore gives them over the wire (the ASL sees ``Lambda.<code>``, e.g.
    ``Lambda.TooManyRequestsException``)."""
    if not hooks.attached():
        return None
    name = (
        function_name.split(":function:", 1)[1].split(":", 1)[0]
        if ":function:" in function_name
        else function_name
    )
    injection = hooks.current().lambda_fault(name)
    if injection is None or injection.error is None:
        return None
    request_id = str(uuid.uuid4())
    if injection.error.code == "crash":
        return {
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {}},
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "Payload": io.BytesIO(json.dumps(aws_wire.lambda_crash_payload(request_id)).encode("utf-8")),
        }
    message = "Rate Exceeded." if injection.error.code == "TooManyRequestsException" else "injected fault"
    raise aws_wire.client_error(injection.error.code, message, injection.error.status, "Invoke", request_id)


def _service_client(region: str, service: str, port: str | None) -> Any:
    """The client moto's ``boto_client_for`` builds, once, and at 127.0.0.1 rather than "localhost"
    (which may resolve to ::1 first, where the embedded AWS does not listen)."""
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


def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    if service == "lambda":
        return InProcessLambdaClient(region)
    key = (region, service, moto_server_port())
    client = _sfn_clients.get(key)
    if client is None:
        client = _sfn_clients[key] = _service_client(region, service, moto_server_port())
    return client


def _modules_importing_boto_client_for() -> list[Any]:
    """The interpreter modules that did ``from ...boto_client import boto_client_for``."""
    original = boto_client_module.boto_client_for
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser.asl")
        and name != boto_client_module.__name__
        and module is not None
        and module.__dict__.get("boto_client_for") is original
    ]


def _apply_inprocess_clients(patcher: Patcher) -> None:
    _sfn_clients.clear()
    modules = {id(m): m for m in [lambda_eval_utils, *_modules_importing_boto_client_for()]}
    for module in modules.values():
        patcher.replace(module, "boto_client_for", client_for)


# ---------------------------------------------------------------------------- sfn_parse_cache

_parsed_definitions: dict[str, Any] = {}


def _apply_parse_cache(patcher: Patcher) -> None:
    _parsed_definitions.clear()
    original_parse = AmazonStateLanguageParser.parse

    def parse(definition: str) -> Any:
        parsed = _parsed_definitions.get(definition)
        if parsed is None:
            parsed = original_parse(definition)
            if len(_parsed_definitions) >= 64:
                _parsed_definitions.clear()
            _parsed_definitions[definition] = parsed
        return parsed

    patcher.replace(AmazonStateLanguageParser, "parse", staticmethod(parse))


# ------------------------------------------------------------------------- sfn_jsonpath_cache


def _apply_jsonpath_cache(patcher: Patcher) -> None:
    for module in (json_path_module, result_path_module):
        patcher.replace(module, "parse", functools.lru_cache(maxsize=4096)(module.parse))


# ----------------------------------------------------------------------------- sfn_json_copy


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

# The interpreter modules that copy states' data (imported above, before their ``copy`` is replaced).
COPYING_MODULES = (
    states,
    environment,
    event_manager,
    execute_state,
    state_task_service,
    result_path_module,
    string_expression,
)


def _apply_json_copy(patcher: Patcher) -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser.asl.") and getattr(module, "copy", None) is copy:
            patcher.replace(module, "copy", _JSON_COPY)


SFN_INPROCESS_CLIENTS = REGISTRY.register(
    Patch(
        "sfn_inprocess_clients",
        "speed-up",
        "the ASL interpreter builds a new boto3 client for every task (~5-10 ms each) and calls back "
        "into the same process over HTTP; here Lambda tasks call LambdaBackend.invoke in-process (same "
        "lookup and errors, and the runtime's fault injection, which the HTTP path applies in its "
        "middleware) and other services' clients are built once per (region, service, port), at 127.0.0.1",
        _apply_inprocess_clients,
    )
)

SFN_PARSE_CACHE = REGISTRY.register(
    Patch(
        "sfn_parse_cache",
        "speed-up",
        "every execution re-parses its definition with the ANTLR parser (~100-300 ms for a 7-state "
        "workflow); the parsed program is immutable once built, so parses are cached per definition text",
        _apply_parse_cache,
    )
)

SFN_JSONPATH_CACHE = REGISTRY.register(
    Patch(
        "sfn_jsonpath_cache",
        "speed-up",
        "every JSONPath evaluation builds a new jsonpath-ng parser and parses the path (a third of the "
        "interpreter's CPU); compiled expressions are immutable, so they are cached per path text",
        _apply_jsonpath_cache,
    )
)

SFN_JSON_COPY = REGISTRY.register(
    Patch(
        "sfn_json_copy",
        "speed-up",
        "the interpreter deep-copies each state's input, result and context several times with "
        "copy.deepcopy (~70% of its CPU on a chain of Lambda tasks); JSON documents are copied by a "
        "plain recursion instead (~3x faster), anything else still by copy.deepcopy",
        _apply_json_copy,
    )
)


def clear_caches() -> None:
    _sfn_clients.clear()
    _parsed_definitions.clear()


def task_client_modules() -> list[Any]:
    """The interpreter modules whose ``boto_client_for`` builds the service integrations' clients
    (moto's, or this module's ``client_for`` while ``sfn_inprocess_clients`` is on)."""
    found = {id(lambda_eval_utils): lambda_eval_utils}
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("moto.stepfunctions.parser.asl")
            and name != boto_client_module.__name__
            and module is not None
            and module.__dict__.get("boto_client_for") is not None
        ):
            found[id(module)] = module
    return list(found.values())
