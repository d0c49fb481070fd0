"""Lambda gaps: invoking without Docker, layers of CloudFormation functions, DynamoDB stream mappings."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction, LayerVersion, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.core.responses import BaseResponse
from moto.core.utils import unix_time

from .. import aws_wire
from ..model import FunctionThrottled
from . import dynamodb, hooks
from .registry import REGISTRY, Patch, Patcher


def function(account_id: str, region: str, name: str) -> Any:
    """moto's model of a function (name or ARN): code bytes, handler, environment, layers..."""
    return lambda_backends[account_id][region].get_function(name)


def layer_version(account_id: str, region: str, arn: str) -> Any:
    return lambda_backends[account_id][region].layers_versions_by_arn(arn)


class TooManyRequests(LambdaClientError):
    """Lambda's throttling answer: HTTP 429 ``TooManyRequestsException`` with a ``Reason``."""

    code = 429

    def __init__(self, throttled: FunctionThrottled):
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.wire = aws_wire.error_response(
            "lambda",
            "TooManyRequestsException",
            "Rate Exceeded.",
            429,
            fields={"Reason": throttled.reason},
            headers=[("Retry-After", "1")],
        )
        self.description = self.wire.body.decode()

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return list(self.wire.headers)


# The Invoke response's request id header; on AWS it is the invocation's request id (the function's
# context.aws_request_id and its START/END/REPORT lines), which is how a caller such as Step Functions'
# lambda:invoke integration (SdkResponseMetadata.RequestId) points at the invocation's log lines.
REQUEST_ID_HEADER = "x-amzn-requestid"


def _apply_invoke(patcher: Patcher) -> None:
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        headers = request_headers or {}
        invocation_type = headers.get("X-Amz-Invocation-Type") or headers.get(
            "x-amz-invocation-type", "RequestResponse"
        )
        request_id = str(uuid.uuid4())
        try:
            payload, function_error = hooks.current().invoke_function(
                self.function_name, event, invocation_type, request_id=request_id
            )
        except FunctionThrottled as exc:  # past the function's reserved concurrency
            raise TooManyRequests(exc) from None
        response_headers[REQUEST_ID_HEADER] = request_id
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        return payload

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        # moto stamps every response with a random request id: an Invoke keeps its invocation's.
        request_id = headers.get(REQUEST_ID_HEADER)
        headers, body = BaseResponse._enrich_response(headers, body)
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        return headers, body

    patcher.replace(LambdaFunction, "invoke", invoke)
    patcher.replace(LambdaResponse, "_enrich_response", staticmethod(enrich_response))


def _apply_cfn_layers(patcher: Patcher) -> None:
    original_create = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cfn(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        fn = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        layers = cloudformation_json["Properties"].get("Layers") or []
        if layers:
            fn.layers = fn._get_layers_data([getattr(layer, "arn", layer) for layer in layers])
        return fn

    patcher.replace(LambdaFunction, "create_from_cloudformation_json", classmethod(create_from_cfn))
    patcher.replace(LayerVersion, "physical_resource_id", property(lambda self: self.arn))


def stream_record_to_event_record(item: Any, source: str) -> dict[str, Any]:
    """A moto stream record as Lambda's DynamoDB event record."""
    record = item.to_json()
    dynamodb_part = dict(record["dynamodb"])
    if isinstance(dynamodb_part.get("ApproximateCreationDateTime"), dt.datetime):
        dynamodb_part["ApproximateCreationDateTime"] = unix_time(dynamodb_part["ApproximateCreationDateTime"])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": source.split(":")[3],
        "dynamodb": dynamodb_part,
        "eventSourceARN": source,
    }


def _apply_stream_esm(patcher: Patcher) -> None:
    def send_dynamodb_items(self: Any, function_arn: str, items: list[Any], source: str) -> None:
        # moto calls this once per mapping right after appending the new record to the shard; the
        # shard keeps its records (for GetRecords) because we return None.
        for esm in list(self._event_source_mappings.values()):
            if esm.function_arn == function_arn and esm.event_source_arn == source and esm.enabled:
                record = stream_record_to_event_record(items[-1], source)
                if not dynamodb.hold_stream_record(esm, record):  # inside a transaction: on commit
                    hooks.current().stream_record(esm, record)

    patcher.replace(LambdaBackend, "send_dynamodb_items", send_dynamodb_items)


LAMBDA_INVOKE = REGISTRY.register(
    Patch(
        "lambda_invoke",
        "gap",
        "invoking a function needs Docker (and with lambda.use_docker off, LambdaSimpleBackend returns "
        "canned answers); here LambdaFunction.invoke - reached by the Invoke API, Step Functions tasks "
        "and SQS mappings - runs the handler in the runtime's worker processes, under the Invoke "
        "response's request id (x-amzn-RequestId) as its aws_request_id, as on AWS; an invoke past the "
        "function's reserved concurrency is answered 429 TooManyRequestsException as on AWS",
        _apply_invoke,
        needs_runtime=True,
    )
)

LAMBDA_CFN_LAYERS = REGISTRY.register(
    Patch(
        "lambda_cfn_layers",
        "gap",
        "CloudFormation-created functions drop Layers, and Ref to an AWS::Lambda::LayerVersion yields "
        "the model object instead of the version ARN",
        _apply_cfn_layers,
    )
)

STREAM_ESM = REGISTRY.register(
    Patch(
        "stream_esm",
        "gap",
        "DynamoDB stream mappings invoke the function synchronously inside the writing request and "
        "ignore FilterCriteria, the partial batch response, retries and the OnFailure destination; here "
        "each record goes to the runtime's per-mapping dispatcher, which does those",
        _apply_stream_esm,
        needs_runtime=True,
    )
)
