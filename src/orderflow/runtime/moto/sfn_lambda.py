"""The optimized Lambda integration's result (``arn:aws:states:::lambda:invoke``) as AWS gives it.

On AWS the task's result - what TaskSucceeded's output holds, before ResultSelector/ResultPath - is
the Invoke response nested in its SDK metadata: ``ExecutedVersion``, ``Payload``, ``SdkHttpMetadata``
(``HttpHeaders`` incl. ``x-amzn-RequestId``, ``HttpStatusCode``), ``SdkResponseMetadata``
(``RequestId``) and ``StatusCode`` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html,
"the function output is nested inside a dictionary of metadata"). Lambda's Invoke request id is the
invocation's ``aws_request_id``, the id on its START/END/REPORT log lines: the history says which
invocation a task attempt was. moto 5.2.5 keeps only the InvocationResponse fields
(``select_from_typed_dict``) and drops the metadata.

``sfn_lambda_invocation_type``. The integration passes ``InvocationType`` on (connect-lambda.html lists
``ClientContext``, ``FunctionName``, ``InvocationType``, ``Qualifier``, ``Payload``): ``"Event"``
invokes asynchronously and the result's ``StatusCode`` is 202. moto's parameter list lacks it and drops
the field: every invocation is synchronous, 200, with the function's result.
"""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser.api import InvocationResponse
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_lambda
from moto.utilities.collections import select_from_typed_dict

from .registry import REGISTRY, Patch, Patcher

_original = lambda_eval_utils.execute_lambda_function_integration


def sdk_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of a boto3 response (its ``ResponseMetadata``),
    as Step Functions' Java SDK renders them; empty without a request id."""
    metadata = response.get("ResponseMetadata") or {}
    request_id = metadata.get("RequestId")
    if not request_id:
        return {}
    headers = {str(k): str(v) for k, v in (metadata.get("HTTPHeaders") or {}).items()}
    # the SDK's header names, whatever case the wire had
    names = {"x-amzn-requestid": "x-amzn-RequestId", "x-amz-executed-version": "X-Amz-Executed-Version"}
    rendered = {names.get(k.lower(), k): v for k, v in headers.items()}
    rendered["x-amzn-RequestId"] = str(request_id)
    return {
        "SdkHttpMetadata": {
            "HttpHeaders": dict(sorted(rendered.items())),
            "HttpStatusCode": int(metadata.get("HTTPStatusCode") or 200),
        },
        "SdkResponseMetadata": {"RequestId": str(request_id)},
    }


def _apply(patcher: Patcher) -> None:
    def execute_lambda_function_integration(
        env: Any, parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> None:
        # moto's function, keeping the Invoke response's metadata (the client is whatever the other
        # patches make boto_client_for give: looked up at each call, as moto does)
        if env.is_mocked_mode():  # a mock config's response is the result as written
            _original(env=env, parameters=parameters, region=region, state_credentials=state_credentials)
            return
        client = lambda_eval_utils.boto_client_for(
            service="lambda", region=region, state_credentials=state_credentials
        )
        response = client.invoke(**parameters)
        metadata = sdk_metadata(response)
        payload = lambda_eval_utils._from_payload(response["Payload"])
        response["Payload"] = payload
        function_error = response.get("FunctionError")
        if function_error:
            raise lambda_eval_utils.LambdaFunctionErrorException(
                function_error, json.dumps(payload, separators=(",", ":"))
            )
        result = select_from_typed_dict(typed_dict=InvocationResponse, obj=response)
        env.stack.append(dict(sorted({**result, **metadata}.items())))

    patcher.replace(
        lambda_eval_utils, "execute_lambda_function_integration", execute_lambda_function_integration
    )


SFN_LAMBDA_REQUEST_ID = REGISTRY.register(
    Patch(
        "sfn_lambda_request_id",
        "gap",
        "the lambda:invoke integration's result lacks SdkHttpMetadata and SdkResponseMetadata (moto keeps "
        "only StatusCode, Payload, ExecutedVersion...): the history does not say which invocation (request "
        "id) a task attempt was",
        _apply,
    )
)


def _apply_invocation_type(patcher: Patcher) -> None:
    bindings = state_task_service_lambda._SUPPORTED_API_PARAM_BINDINGS
    widened = {action: {*names, "InvocationType"} for action, names in bindings.items()}
    patcher.replace(state_task_service_lambda, "_SUPPORTED_API_PARAM_BINDINGS", widened)


SFN_LAMBDA_INVOCATION_TYPE = REGISTRY.register(
    Patch(
        "sfn_lambda_invocation_type",
        "gap",
        'the lambda:invoke integration drops InvocationType: "Event" runs synchronously and answers 200 with '
        "the function's result instead of 202",
        _apply_invocation_type,
    )
)
