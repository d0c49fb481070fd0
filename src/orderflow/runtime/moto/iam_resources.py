"""The resource ARN a request is authorised against, for the services Step Functions integrates with.

AWS authorises each action against the resource its request names ("Actions, resources, and condition
keys", https://docs.aws.amazon.com/service-authorization/latest/reference/): ``sns:Publish`` against
the topic (or platform endpoint) ARN, ``events:PutEvents`` against each entry's event bus,
``glue:StartJobRun`` against the job, ``kinesis:PutRecord(s)`` against the stream,
``ssm:GetParameter(s)`` against each parameter. A state machine role scoped to those ARNs (a SAM
policy template such as ``SNSPublishMessagePolicy`` or ``EventBridgePutEventsPolicy``) is allowed
there and nowhere else. :func:`checks` gives those checks, or None where the caller's default
(the action on ``*``) applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..iam_policy import Check

Param = Callable[[str], Any]


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _sns(operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    target = param("TopicArn") or param("TargetArn")
    if target:
        return [Check(f"sns:{operation}", str(target))]
    if operation == "CreateTopic" and param("Name"):
        return [Check("sns:CreateTopic", _arn("sns", region, account, str(param("Name"))))]
    return None


def _bus_arn(name: Any, region: str, account: str) -> str:
    name = str(name or "default")
    return name if name.startswith("arn:") else _arn("events", region, account, f"event-bus/{name}")


def _events(operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    if operation == "PutEvents":
        entries = param("Entries") or []
        buses = sorted(
            {
                _bus_arn(entry.get("EventBusName"), region, account)
                for entry in entries
                if isinstance(entry, dict)
            }
        )
        return [Check("events:PutEvents", bus) for bus in buses] or None
    return None


def _glue(operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    job = param("JobName")
    if job and operation in ("StartJobRun", "GetJobRun", "GetJobRuns", "BatchStopJobRun", "GetJob"):
        return [Check(f"glue:{operation}", _arn("glue", region, account, f"job/{job}"))]
    return None


def _kinesis(operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    stream = param("StreamARN") or (
        _arn("kinesis", region, account, f"stream/{param('StreamName')}") if param("StreamName") else None
    )
    return [Check(f"kinesis:{operation}", str(stream))] if stream else None


def _ssm(operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    names = param("Names") if operation == "GetParameters" else [param("Name")]
    names = [name for name in (names or []) if name]
    if not names:
        return None
    return [
        Check(
            f"ssm:{operation}",
            name
            if str(name).startswith("arn:")
            else _arn("ssm", region, account, f"parameter/{str(name).lstrip('/')}"),
        )
        for name in names
    ]


_BY_PREFIX: dict[str, Callable[[str, Param, str, str], list[Check] | None]] = {
    "sns": _sns,
    "events": _events,
    "glue": _glue,
    "kinesis": _kinesis,
    "ssm": _ssm,
}


def checks(prefix: str, operation: str, param: Param, region: str, account: str) -> list[Check] | None:
    """The checks of one request of service ``prefix`` (IAM's service prefix), or None for the default."""
    resolver = _BY_PREFIX.get(prefix)
    if resolver is None:
        return None
    try:
        return resolver(operation, param, region, account)
    except (TypeError, AttributeError, ValueError):  # a malformed request: the service refuses it
        return None
