"""SNS's gap: its deliveries publish no metrics, and a failed delivery fails the Publish.

On AWS, SNS counts each notification to a subscription in ``AWS/SNS`` (NumberOfNotificationsDelivered,
NumberOfNotificationsFailed, NumberOfNotificationsFilteredOut; "Monitoring Amazon SNS topics using
CloudWatch", https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html), and
delivers after Publish has answered: a subscription that cannot take the message is a failed
delivery, never a failed Publish.

moto 5.2.5 delivers inside Publish, publishes no metric, and lets a delivery's error (a subscribed
queue that was deleted) fail the whole call. ``sns_delivery_outcomes`` wraps ``Subscription.publish``
and hands each delivery's outcome (filtered out by the subscription's filter policy, delivered, or
failed) to the running runtime (``Hooks.sns_delivery``: ``runtime/service_metrics.py`` records the
metrics).

``Subscription.publish`` has one more owner, declared in ``SHARED_ATTRIBUTES``
(``runtime/moto/__init__.py``): ``sns_lambda_delivery`` (:mod:`.notifications`) is applied after this
patch and delivers to ``lambda`` subscriptions itself (reporting their outcome through the same
:func:`report_sns_delivery`); every other protocol reaches this wrapper. The AWS/Events side (each
rule's TriggeredRules/Invocations/FailedInvocations) is reported by ``events_rule_targets``
(:mod:`.events`), the one owner of ``Rule.send_to_targets``.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.sns.models import Subscription

from . import hooks
from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")


def report_sns_delivery(subscription: Any, outcome: str) -> None:
    """One notification's outcome (``delivered``, ``failed``, ``filtered``) to the running runtime."""
    handler = getattr(hooks.current(), "sns_delivery", None) if hooks.attached() else None
    if handler is not None:
        handler(subscription.topic.arn, subscription.protocol, outcome)


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
        report_sns_delivery(self, outcome)

    patcher.replace(Subscription, "publish", publish)


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
