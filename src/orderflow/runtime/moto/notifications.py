"""S3 and SNS notifications: S3's EventBridge events and event records, SNS's Lambda record, the
CloudFormation resources that set them up.

What plain moto 5.2.5 does: S3's EventBridge event has a detail that is not the documented one
(``eTag``, ``reason: ObjectCreated``, a fixed id) and goes to every bus; a CloudFormation bucket's
``NotificationConfiguration`` is dropped (a template's ``AWS::SNS::Subscription`` is
``cfn_more_types``'s, in cfn_attributes.py); S3 and SNS
invoke a function synchronously inside the writing request, SNS with a canned record
(``TopicArn: arn:aws:sns:EXAMPLE``). Here functions are invoked asynchronously
(``InvocationType: Event``) through ``LambdaFunction.invoke``, the runtime's worker path.

Docs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html (S3's EventBridge events),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html (S3 records),
https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html (the SNS record).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import quote_plus

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.events.models import events_backends
from moto.s3 import notifications as s3_notifications
from moto.s3.models import FakeBucket, s3_backends
from moto.sns.models import Subscription

from .events import iso_time
from .messaging import report_sns_delivery
from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")

EVENT_INVOKE = {"X-Amz-Invocation-Type": "Event"}


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
            report_sns_delivery(self, "filtered")
            return None
        if kw.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = sns_record(self, message, message_id, subject, message_attributes)
        try:
            function = get_backend(self.account_id, self.endpoint.split(":")[3]).get_function(self.endpoint)
            function.invoke(json.dumps(event), dict(EVENT_INVOKE), {})
        except Exception as exc:  # asynchronous on AWS: Publish never fails for it
            log.warning("SNS delivery to %s not made: %s", self.endpoint, exc)
            report_sns_delivery(self, "failed")
            return None
        report_sns_delivery(self, "delivered")  # Lambda accepted the asynchronous invoke
        return None

    patcher.replace(Subscription, "publish", publish)


SNS_LAMBDA = REGISTRY.register(
    Patch(
        "sns_lambda_delivery",
        "gap",
        "SNS invokes a subscribed function synchronously inside Publish with a canned record "
        "(TopicArn arn:aws:sns:EXAMPLE, fixed MessageId, made-up MessageAttributes); here "
        "asynchronously (InvocationType Event) with the documented record of the message, and its "
        "outcome (AWS/SNS delivered, failed, filtered out) reported to the runtime",
        _apply_sns_lambda,
    )
)
