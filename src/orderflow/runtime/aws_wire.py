"""An AWS error as the service sends it: one place for the wire formats of the services the runtime
hosts, used by everything that answers for the embedded AWS (fault injection, IAM denials, Lambda
throttles) and by the in-process callers that need the ``ClientError`` botocore would have parsed.

The formats follow the Smithy protocol specifications botocore parses (awsJson1_0, awsQuery,
restJson1) and the services' API references ("Common Errors"):

- ``json`` (DynamoDB, SQS, Step Functions): ``{"__type": "<namespace>#<Code>", "message": ...}``,
  ``Content-Type: application/x-amz-json-1.0``. SQS's JSON protocol is ``awsQueryCompatible``: the
  query protocol's code and fault travel in ``x-amzn-query-error: <Code>;<Sender|Receiver>``, which
  botocore prefers to ``__type``.
- ``query`` (SES, SQS's query clients): ``<ErrorResponse><Error><Type>Sender|Receiver</Type>
  <Code/><Message/></Error><RequestId/></ErrorResponse>`` as ``text/xml``.
- ``rest-json`` (Lambda): the code in ``x-amzn-ErrorType``, ``{"Type": "User"|"Service",
  "message": ...}`` in the body.

Nothing here imports moto.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botocore.exceptions import ClientError

# Per service (as the runtime names them, which is the SigV4 signing name but for ``stepfunctions``
# and ``ses``): the protocol its botocore client speaks by default.
PROTOCOLS = {
    "dynamodb": "json",
    "sqs": "json",  # botocore speaks SQS's JSON protocol (AwsQueryCompatible); query clients still work
    "lambda": "rest-json",
    "ses": "query",
    "stepfunctions": "json",
    "sns": "query",
    "events": "json",
}
# The ``__type`` namespace of each JSON service's own errors (the Smithy service's namespace).
JSON_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
    "stepfunctions": "com.amazonaws.swf.service.model",
    "states": "com.amazonaws.swf.service.model",
}
# Errors of the request layer every AWS JSON service shares (authorisation), not the service's own.
CORAL_NAMESPACE = "com.amazon.coral.service"
QUERY_NAMESPACES = {
    "ses": "http://ses.amazonaws.com/doc/2010-12-01/",
    "email": "http://ses.amazonaws.com/doc/2010-12-01/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}
LAMBDA_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.lambda/"


@dataclass(frozen=True)
class WireError:
    """An HTTP answer: status, headers and body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        try:
            return f"{self.status} {HTTPStatus(self.status).phrase}"
        except ValueError:
            return f"{self.status} Error"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(
    service: str,
    code: str,
    message: str,
    status: int,
    *,
    protocol: str | None = None,
    request_id: str | None = None,
    namespace: str | None = None,
    query_code: str | None = None,
    fields: Mapping[str, Any] | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> WireError:
    """The answer ``service`` gives for error ``code`` with ``message`` and HTTP ``status``, in
    ``protocol`` (default: the service's). ``namespace`` overrides the JSON ``__type`` namespace,
    ``query_code`` the code SQS's JSON protocol carries in ``x-amzn-query-error``, ``fields`` adds
    body fields (Lambda's ``Reason``) and ``headers`` response headers (``Retry-After``)."""
    protocol = protocol or PROTOCOLS.get(service, "json")
    request_id = request_id or str(uuid.uuid4())
    fault = "Sender" if status < 500 else "Receiver"
    if protocol == "json":
        type_namespace = namespace or JSON_NAMESPACES.get(service, f"com.amazonaws.{service}")
        body: dict[str, Any] = {"__type": f"{type_namespace}#{code}", "message": message, **(fields or {})}
        out = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
        if service == "sqs":
            out.append(("x-amzn-query-error", f"{query_code or code};{fault}"))
        return WireError(status, out + list(headers), json.dumps(body).encode())
    if protocol == "query":
        xmlns = QUERY_NAMESPACES.get(service)
        opening = f'<ErrorResponse xmlns="{xmlns}">' if xmlns else "<ErrorResponse>"
        xml = (
            f"{opening}<Error><Type>{fault}</Type><Code>{_xml(code)}</Code><Message>{_xml(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        out = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        return WireError(status, out + list(headers), xml.encode())
    if protocol != "rest-json":
        raise ValueError(f"unknown protocol {protocol!r}")
    payload = {"Type": "User" if status < 500 else "Service", "message": message, **(fields or {})}
    out = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", f"{code}{LAMBDA_ERROR_TYPE_SUFFIX}"),
        ("x-amzn-RequestId", request_id),
    ]
    return WireError(status, out + list(headers), json.dumps(payload).encode())


def client_error(
    code: str, message: str, status: int, operation: str, request_id: str | None = None
) -> ClientError:
    """What botocore raises for that answer, for callers in the runtime's process (no HTTP)."""
    metadata = {"HTTPStatusCode": status, "RequestId": request_id or str(uuid.uuid4())}
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}, operation)


def lambda_crash_payload(request_id: str) -> dict[str, str]:
    """The payload Lambda answers (200, ``X-Amz-Function-Error: Unhandled``) when the function's
    process died during the invocation."""
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
