"""EventBridge and the notifications that feed it or Lambda: rule targets, S3 and SNS deliveries.

What plain moto 5.2.5 does: a rule matched by PutEvents (or an S3 notification) delivers only to
CloudWatch Logs, archives, other buses, API destinations and SQS; a Lambda, Step Functions or SNS
target raises ``NotImplementedError`` inside the request; ``InputTransformer`` output is always
parsed as JSON (a text template breaks it) and ``Input``/``InputPath`` are ignored; disabled rules
still fire. S3's EventBridge event has a detail that is not the documented one (``eTag``,
``reason: ObjectCreated``, a fixed id) and goes to every bus; a CloudFormation bucket's
``NotificationConfiguration`` is dropped; S3 and SNS invoke a function synchronously inside the
writing request, and SNS with a canned record (``TopicArn: arn:aws:sns:EXAMPLE``).

The patches here hand each matched (rule, target) to the runtime as a :class:`~..event_input.Delivery`
(``hooks.deliver_events``), which sends it through the embedded AWS's own APIs (see
``orderflow.runtime.event_targets``); S3 and SNS invoke functions asynchronously
(``InvocationType: Event``) through ``LambdaFunction.invoke``, the runtime's worker path.
:func:`scheduled_rules` and :func:`fire_schedule` are what the runtime's scheduler reads and calls.

Docs: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html (S3's EventBridge events),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html (S3 records),
https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html (the SNS record),
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html (Scheduled Event).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import uuid
from typing import Any
from urllib.parse import quote_plus

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.events.models import Rule, events_backends
from moto.s3 import notifications as s3_notifications
from moto.s3.models import FakeBucket, s3_backends
from moto.sns.models import Subscription

from ..event_input import Delivery, InputError, target_input
from . import hooks
from .cloudformation import _CfnModel
from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")

# Targets the runtime delivers (through the embedded AWS's APIs); any other goes to moto's own code.
RUNTIME_TARGETS = ("lambda", "states", "sqs", "sns")
EVENT_INVOKE = {"X-Amz-Invocation-Type": "Event"}


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def iso_time(value: Any) -> str:
    """An event's ``time`` as EventBridge writes it: ISO 8601 UTC to the second, ``Z``."""
    if isinstance(value, int | float):
        when = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif isinstance(value, str) and value:
        return value
    else:
        when = dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_target_event(event: Any) -> dict[str, Any]:
    """moto's internal event (epoch ``time``, ``ingestion-time``) as targets receive it."""
    out = {key: value for key, value in dict(event).items() if key != "ingestion-time"}
    out["time"] = iso_time(out.get("time"))
    return out


def deliveries(rule: Any, event: dict[str, Any]) -> list[Delivery]:
    """What each of ``rule``'s runtime-delivered targets gets for ``event`` (a target whose input
    cannot be made is skipped with one line, as EventBridge counts a FailedInvocation)."""
    out = []
    for target in rule.targets:
        arn = str(target.get("Arn", ""))
        if _service(arn) not in RUNTIME_TARGETS:
            continue
        try:
            text = target_input(target, event, rule.arn, rule.name)
        except InputError as exc:
            log.warning("rule %s target %s: %s (not delivered)", rule.name, target.get("Id"), exc)
            continue
        out.append(
            Delivery(
                rule_arn=rule.arn,
                target_id=str(target.get("Id", "")),
                arn=arn,
                input=text,
                role_arn=target.get("RoleArn"),
                message_group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
            )
        )
    return out


def _apply_rule_targets(patcher: Patcher) -> None:
    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED":  # a disabled rule matches nothing
            return
        if self.scheduled_expression and not self.event_pattern.get_pattern():
            return  # a schedule-only rule is fired by its schedule, never by an event
        if not self.event_pattern.matches_event(original_event):
            return
        others = [t for t in self.targets if _service(str(t.get("Arn", ""))) not in RUNTIME_TARGETS]
        if others:  # logs, archives, buses, API destinations: moto's own delivery
            proxy = copy.copy(self)
            proxy.targets = others
            original(proxy, original_event, transform_input)
        found = deliveries(self, as_target_event(original_event))
        if found:
            hooks.current().deliver_events(found)

    patcher.replace(Rule, "send_to_targets", send_to_targets)


def scheduled_rules(account_id: str, region: str) -> list[tuple[str, ...]]:
    """(ARN, name, expression[, time zone]) of every ENABLED scheduled rule (every bus) and every
    ENABLED EventBridge Scheduler schedule."""
    from moto.scheduler.models import scheduler_backends

    backend = events_backends[account_id][region]
    found: list[tuple[str, ...]] = [
        (rule.arn, rule.name, rule.scheduled_expression)
        for bus in list(backend.event_buses.values())
        for rule in list(bus.rules.values())
        if rule.scheduled_expression and rule.state == "ENABLED"
    ]
    for group in list(scheduler_backends[account_id][region].schedule_groups.values()):
        for schedule in list(group.schedules.values()):
            if schedule.state == "ENABLED":
                found.append(
                    (
                        schedule.arn,
                        schedule.name,
                        schedule.schedule_expression,
                        schedule.schedule_expression_timezone,
                    )
                )
    return found


def _rule(account_id: str, region: str, arn: str) -> Any:
    backend = events_backends[account_id][region]
    return next((r for bus in backend.event_buses.values() for r in bus.rules.values() if r.arn == arn), None)


def _schedule(account_id: str, region: str, arn: str) -> Any:
    from moto.scheduler.models import scheduler_backends

    groups = scheduler_backends[account_id][region].schedule_groups.values()
    return next((s for g in groups for s in g.schedules.values() if s.arn == arn), None)


def fire_schedule(account_id: str, region: str, arn: str, when: dt.datetime) -> list[Delivery]:
    """What firing ``arn`` at ``when`` delivers (none if it is gone or disabled); the caller delivers.

    A scheduled rule sends each target the "Scheduled Event" (its input options apply); a Scheduler
    schedule sends its one target the target's ``Input`` as is (``{}`` without one), as its role."""
    if ":scheduler:" in arn:
        schedule = _schedule(account_id, region, arn)
        if schedule is None or schedule.state != "ENABLED":
            return []
        target = schedule.target
        return [
            Delivery(
                rule_arn=arn,
                target_id=schedule.name,
                arn=str(target["Arn"]),
                input=str(target.get("Input") or "{}"),
                role_arn=target.get("RoleArn"),
                message_group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
            )
        ]
    rule = _rule(account_id, region, arn)
    if rule is None or rule.state != "ENABLED":
        return []
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": iso_time(when),
        "region": region,
        "resources": [arn],
        "detail": {},
    }
    return deliveries(rule, event)


RULE_TARGETS = REGISTRY.register(
    Patch(
        "events_rule_targets",
        "gap",
        "a rule with a Lambda, Step Functions or SNS target raises NotImplementedError inside PutEvents; "
        "Input and InputPath are ignored, a text InputTemplate fails, disabled rules fire; here each "
        "matched target's input is made as EventBridge documents it and delivered by the runtime "
        "(StartExecution as the target's RoleArn, an asynchronous Invoke, SendMessage, Publish)",
        _apply_rule_targets,
        needs_runtime=True,
    )
)


# ------------------------------------------------------------------------------------ S3 → EventBridge

# s3:<event> -> the detail's reason: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "s3:LifecycleExpiration:Delete": "Lifecycle Expiration",
    "s3:LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}


def s3_eventbridge_event(account_id: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any] | None:
    """S3's EventBridge event for ``event_name`` on ``key`` (None: a kind not sent here)."""
    created = event_name.startswith("s3:ObjectCreated:")
    deleted = event_name.startswith(("s3:ObjectRemoved:", "s3:LifecycleExpiration:"))
    if not (created or deleted):
        return None
    obj: dict[str, Any] = {"key": key.name}
    if created:
        obj["size"] = key.size
    obj["etag"] = str(key.etag).replace('"', "")
    if getattr(key, "version_id", None) and key.version_id != "null":
        obj["version-id"] = key.version_id
    obj["sequencer"] = f"{uuid.uuid4().int % 16**18:018X}"
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": account_id,
        "source-ip-address": "127.0.0.1",
        "reason": _REASONS.get(event_name, event_name.split(":")[1]),
    }
    if deleted:
        detail["deletion-type"] = (
            "Delete Marker Created" if event_name.endswith("DeleteMarkerCreated") else "Permanently Deleted"
        )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created" if created else "Object Deleted",
        "source": "aws.s3",
        "account": account_id,
        "time": iso_time(None),
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": detail,
    }


def _apply_s3_eventbridge(patcher: Patcher) -> None:
    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        event = s3_eventbridge_event(account_id, bucket, event_name, key)
        if event is None:
            return
        bus = events_backends[account_id][bucket.region_name].event_buses.get("default")
        for rule in list(bus.rules.values()) if bus is not None else []:  # S3 sends to the default bus
            try:
                rule.send_to_targets(event, transform_input=True)  # type: ignore[arg-type]
            except Exception as exc:  # asynchronous on AWS: the upload never fails for it
                log.warning("S3 event %s to rule %s not delivered: %s", event_name, rule.name, exc)

    patcher.replace(s3_notifications, "_send_event_bridge_message", send_event_bridge_message)


S3_EVENTBRIDGE = REGISTRY.register(
    Patch(
        "s3_eventbridge",
        "gap",
        "S3's EventBridge events carry a detail that is not the documented one (eTag, reason "
        "'ObjectCreated', no deletion-type, one fixed event id) and go to the rules of every bus; here "
        "the documented 'Object Created'/'Object Deleted' events go to the default bus",
        _apply_s3_eventbridge,
    )
)


# ---------------------------------------------------------------------------- S3 → Lambda, CloudFormation


def s3_record(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """The S3 event record (notification-content-structure.html), for one object."""
    obj: dict[str, Any] = {
        "key": quote_plus(key.name, safe="/"),
        "sequencer": f"{uuid.uuid4().int % 16**18:018X}",
    }
    if event_name.startswith("s3:ObjectCreated:"):
        obj.update(size=key.size, eTag=str(key.etag).replace('"', ""))
    if getattr(key, "version_id", None) and key.version_id != "null":
        obj["versionId"] = key.version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region_name,
                "eventTime": iso_8601_datetime_with_milliseconds(),
                "eventName": event_name[3:],
                "userIdentity": {"principalId": bucket.account_id},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": notification_id,
                    "bucket": {
                        "name": bucket.name,
                        "ownerIdentity": {"principalId": bucket.account_id},
                        "arn": bucket.arn,
                    },
                    "object": obj,
                },
            }
        ]
    }


def _apply_s3_lambda(patcher: Patcher) -> None:
    from moto.awslambda.utils import get_backend

    def invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        try:
            function = get_backend(account_id, region_name).get_function(fn_arn)
            function.invoke(json.dumps(event_body), dict(EVENT_INVOKE), {})
        except Exception as exc:  # asynchronous on AWS: the upload never fails for it
            log.warning("S3 notification to %s not delivered: %s", fn_arn, exc)

    patcher.replace(s3_notifications, "_get_s3_event", s3_record)
    patcher.replace(s3_notifications, "_invoke_awslambda", invoke_awslambda)


S3_LAMBDA = REGISTRY.register(
    Patch(
        "s3_lambda_notifications",
        "gap",
        "S3 invokes a notified function synchronously inside the PutObject request, with a record "
        "missing userIdentity, requestParameters, responseElements and the object's sequencer; here "
        "asynchronously (InvocationType Event) with the documented record",
        _apply_s3_lambda,
    )
)

_CFN_KINDS = {  # CloudFormation's NotificationConfiguration -> moto's API-shaped configuration
    "LambdaConfigurations": ("CloudFunctionConfiguration", "Function", "CloudFunction"),
    "QueueConfigurations": ("QueueConfiguration", "Queue", "Queue"),
    "TopicConfigurations": ("TopicConfiguration", "Topic", "Topic"),
}


def api_notification_config(cfn: dict[str, Any]) -> dict[str, Any]:
    """AWS::S3::Bucket NotificationConfiguration as PutBucketNotificationConfiguration takes it."""
    out: dict[str, Any] = {}
    for cfn_key, (api_key, cfn_arn, api_arn) in _CFN_KINDS.items():
        entries = []
        for index, item in enumerate(cfn.get(cfn_key) or []):
            entry: dict[str, Any] = {
                api_arn: item[cfn_arn],
                "Event": [item["Event"]],
                "Id": f"{api_key}{index}",
            }
            rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                entry["Filter"] = {
                    "S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
                }
            entries.append(entry)
        if entries:
            out[api_key] = entries
    if str((cfn.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", "")).lower() == "true":
        out["EventBridgeConfiguration"] = {}
    return out


def _apply_s3_cfn_notifications(patcher: Patcher) -> None:
    original = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cfn(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        bucket = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        config = (cloudformation_json.get("Properties") or {}).get("NotificationConfiguration")
        if config:
            s3_backends[account_id]["aws"].put_bucket_notification_configuration(
                bucket.name, api_notification_config(config)
            )
        return bucket

    patcher.replace(FakeBucket, "create_from_cloudformation_json", classmethod(create_from_cfn))


S3_CFN_NOTIFICATIONS = REGISTRY.register(
    Patch(
        "s3_cfn_notifications",
        "gap",
        "an AWS::S3::Bucket's NotificationConfiguration (SAM's S3 event, EventBridgeConfiguration) is "
        "dropped; here it is the bucket's notification configuration, as PutBucketNotificationConfiguration "
        "sets it",
        _apply_s3_cfn_notifications,
    )
)


# ------------------------------------------------------------------------------------------ SNS → Lambda


def sns_record(
    subscription: Any, message: str, message_id: str, subject: str | None, attributes: Any
) -> dict[str, Any]:
    """The SNS event record Lambda receives (with-sns.html)."""
    shaped = {
        name: {
            "Type": value.get("DataType", value.get("Type")),
            "Value": value.get("StringValue", value.get("Value")),
        }
        for name, value in (attributes or {}).items()
    }
    topic_arn = subscription.topic.arn
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": iso_8601_datetime_with_milliseconds(),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.amazonaws.com/local.pem",
                    "MessageId": message_id,
                    "Message": message,
                    "MessageAttributes": shaped,
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def _apply_sns_lambda(patcher: Patcher) -> None:
    from moto.awslambda.utils import get_backend

    original = Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: Any = None,
        **kw: Any,
    ) -> None:
        if self.protocol != "lambda":
            return original(
                self, message, message_id, subject=subject, message_attributes=message_attributes, **kw
            )
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if kw.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = sns_record(self, message, message_id, subject, message_attributes)
        try:
            function = get_backend(self.account_id, self.endpoint.split(":")[3]).get_function(self.endpoint)
            function.invoke(json.dumps(event), dict(EVENT_INVOKE), {})
        except Exception as exc:  # asynchronous on AWS: Publish never fails for it
            log.warning("SNS delivery to %s not made: %s", self.endpoint, exc)
        return None

    patcher.replace(Subscription, "publish", publish)


SNS_LAMBDA = REGISTRY.register(
    Patch(
        "sns_lambda_delivery",
        "gap",
        "SNS invokes a subscribed function synchronously inside Publish with a canned record "
        "(TopicArn arn:aws:sns:EXAMPLE, fixed MessageId, made-up MessageAttributes); here "
        "asynchronously (InvocationType Event) with the documented record of the message",
        _apply_sns_lambda,
    )
)


class CfnSubscription(_CfnModel):
    """AWS::SNS::Subscription through SNS's own Subscribe and SetSubscriptionAttributes (Ref: its ARN)."""

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        from moto.sns.models import sns_backends

        props = cloudformation_json.get("Properties") or {}
        topic_arn = props["TopicArn"]
        backend = sns_backends[account_id][topic_arn.split(":")[3] or region_name]
        subscription = backend.subscribe(topic_arn, props["Endpoint"], props["Protocol"])
        for name in (
            "FilterPolicy",
            "FilterPolicyScope",
            "RawMessageDelivery",
            "RedrivePolicy",
            "DeliveryPolicy",
        ):
            value = props.get(name)
            if value is None:
                continue
            text = (
                json.dumps(value)
                if isinstance(value, dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            backend.set_subscription_attributes(subscription.arn, name, text)
        return cls(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        from moto.sns.models import sns_backends

        if resource_name.startswith("arn:"):
            sns_backends[account_id][resource_name.split(":")[3]].unsubscribe(resource_name)


def _cfn_type(resource_type: str, model: Any) -> Any:
    """A patch's apply: CloudFormation creates ``resource_type`` with ``model``."""

    def apply(patcher: Patcher) -> None:
        from moto.cloudformation import parsing

        original = parsing.resource_class_from_type

        def resource_class_from_type(name: str) -> Any:
            return model if name == resource_type else original(name)

        patcher.replace(parsing, "resource_class_from_type", resource_class_from_type)

    return apply


_apply_sns_cfn_subscription = _cfn_type("AWS::SNS::Subscription", CfnSubscription)


SNS_CFN_SUBSCRIPTION = REGISTRY.register(
    Patch(
        "sns_cfn_subscription",
        "gap",
        "AWS::SNS::Subscription has no CloudFormation support (SAM's SNS event, an SQS queue subscribed "
        "in the template): nothing is subscribed; here it is SNS's Subscribe, with its FilterPolicy, "
        "FilterPolicyScope and RawMessageDelivery",
        _apply_sns_cfn_subscription,
    )
)


class CfnSchedule(_CfnModel):
    """AWS::Scheduler::Schedule through EventBridge Scheduler's CreateSchedule (Ref: its name)."""

    def __init__(self, name: str, arn: str) -> None:
        self.physical_resource_id = name
        self.arn = arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        from moto.scheduler.models import scheduler_backends

        props = cloudformation_json.get("Properties") or {}
        args: dict[str, Any] = {
            "description": props.get("Description"),
            "end_date": props.get("EndDate"),
            "flexible_time_window": props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
            "group_name": props.get("GroupName"),
            "kms_key_arn": props.get("KmsKeyArn"),
            "name": props.get("Name") or resource_name,
            "schedule_expression": props["ScheduleExpression"],
            "schedule_expression_timezone": props.get("ScheduleExpressionTimezone"),
            "start_date": props.get("StartDate"),
            "state": props.get("State"),
            "target": dict(props["Target"]),
            "action_after_completion": props.get("ActionAfterCompletion"),
        }
        schedule = scheduler_backends[account_id][region_name].create_schedule(**args)
        return cls(schedule.name, schedule.arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        from moto.scheduler.models import scheduler_backends

        group = (cloudformation_json.get("Properties") or {}).get("GroupName")
        scheduler_backends[account_id][region_name].delete_schedule(group, resource_name)


SCHEDULER_CFN_SCHEDULE = REGISTRY.register(
    Patch(
        "scheduler_cfn_schedule",
        "gap",
        "AWS::Scheduler::Schedule has no CloudFormation support (SAM's ScheduleV2 event): no schedule "
        "exists; here it is Scheduler's CreateSchedule, its Arn attribute the schedule's",
        _cfn_type("AWS::Scheduler::Schedule", CfnSchedule),
    )
)
