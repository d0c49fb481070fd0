"""SNS and EventBridge gaps: their deliveries publish no metrics, and a failed delivery fails the sender.

On AWS, SNS counts each notification to a subscription in ``AWS/SNS`` (NumberOfNotificationsDelivered,
NumberOfNotificationsFailed, NumberOfNotificationsFilteredOut; "Monitoring Amazon SNS topics using
CloudWatch", https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html), and
EventBridge counts each rule an event matched and each target it invoked in ``AWS/Events``
(TriggeredRules, MatchedEvents, Invocations, FailedInvocations; "Monitoring Amazon EventBridge",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html). Both deliver after the
sender's call has answered: a subscription or target that cannot take the message is a failed
delivery, never a failed Publish or PutEvents.

moto 5.2.5 delivers inside Publish and PutEvents, publishes no metric, and lets a delivery's error
(a subscribed queue that was deleted) fail the whole call. Two patches hand each delivery's outcome to
the running runtime (``Hooks.sns_delivery``, ``Hooks.events_rule``: ``runtime/service_metrics.py``
records the metrics) and keep a failed delivery from failing its sender:

- ``sns_delivery_outcomes`` wraps ``Subscription.publish``: filtered out by the subscription's filter
  policy, delivered, or failed.
- ``events_rule_outcomes`` wraps ``Rule.send_to_targets``: for a rule the event matched, the targets it
  invoked (those moto delivers to: SQS queues, log groups, event buses and archives, API
  destinations; moto does not invoke Lambda or other targets, so they are not counted as invoked) and
  whether the invocation failed.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.events.models import Rule
from moto.sns.models import Subscription
from moto.utilities.arns import parse_arn

from . import hooks
from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")

# (service, resource type) of the target ARNs moto's Rule.send_to_targets delivers to
DELIVERED_TARGETS = frozenset(
    {
        ("sqs", ""),
        ("logs", "log-group"),
        ("events", ""),
        ("events", "event-bus"),
        ("events", "api-destination"),
    }
)


def delivered_targets(targets: list[dict[str, Any]]) -> int:
    """How many of a rule's targets moto delivers an event to."""
    count = 0
    for target in targets:
        text = str(target.get("Arn", ""))
        if not text.startswith("arn:") or text.count(":") < 5:  # not an ARN: nothing is delivered to it
            continue
        arn = parse_arn(text)
        count += (arn.service, arn.resource_type if arn.service != "sqs" else "") in DELIVERED_TARGETS
    return count


def _handler(name: str) -> Any:
    if not hooks.attached():
        return None
    return getattr(hooks.current(), name, None)


def _apply_sns_delivery_outcomes(patcher: Patcher) -> None:
    original = Subscription.publish

    def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        matcher = getattr(self, "_filter_policy_matcher", None)
        attributes = kwargs.get("message_attributes")
        if matcher is not None and not matcher.matches(attributes, message):
            outcome = "filtered"
        else:
            try:
                original(self, message, message_id, *args, **kwargs)
                outcome = "delivered"
            except Exception as exc:  # delivered after Publish answered: a failed delivery, not a failed call
                log.warning("SNS could not deliver to %s (%s): %s", self.endpoint, self.protocol, exc)
                outcome = "failed"
        handler = _handler("sns_delivery")
        if handler is not None:
            handler(self.topic.arn, self.protocol, outcome)

    patcher.replace(Subscription, "publish", publish)


def _apply_events_rule_outcomes(patcher: Patcher) -> None:
    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        failed = False
        try:
            original(self, original_event, transform_input)
        except Exception as exc:  # delivered after PutEvents answered: a failed invocation
            log.warning("EventBridge rule %s could not invoke its targets: %s", self.name, exc)
            failed = True
        handler = _handler("events_rule")
        if handler is not None:
            event_id = original_event.get("id") if isinstance(original_event, dict) else None
            handler(self.event_bus_name, self.name, event_id, delivered_targets(self.targets), failed)

    patcher.replace(Rule, "send_to_targets", send_to_targets)


SNS_DELIVERY_OUTCOMES = REGISTRY.register(
    Patch(
        "sns_delivery_outcomes",
        "gap",
        "SNS deliveries publish no AWS/SNS metrics (NumberOfNotificationsDelivered/Failed/FilteredOut), "
        "and a subscription that cannot take a message (a deleted queue) fails the Publish; here each "
        "delivery's outcome goes to the runtime, which records the metrics, and a failed delivery is "
        "counted, not raised",
        _apply_sns_delivery_outcomes,
        needs_runtime=True,
    )
)

EVENTS_RULE_OUTCOMES = REGISTRY.register(
    Patch(
        "events_rule_outcomes",
        "gap",
        "EventBridge rules publish no AWS/Events metrics (TriggeredRules, MatchedEvents, Invocations, "
        "FailedInvocations), and a target that cannot take an event (a deleted queue) fails the "
        "PutEvents; here each matched rule's outcome goes to the runtime, which records the metrics, "
        "and a failed invocation is counted, not raised",
        _apply_events_rule_outcomes,
        needs_runtime=True,
    )
)
