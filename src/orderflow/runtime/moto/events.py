"""EventBridge rules' targets and schedules (rules with a ScheduleExpression, Scheduler schedules).

What plain moto 5.2.5 does: a rule matched by PutEvents (or an S3 notification) delivers only to
CloudWatch Logs, archives, other buses, API destinations and SQS; a Lambda, Step Functions or SNS
target raises ``NotImplementedError`` inside the request; ``InputTransformer`` output is always
parsed as JSON (a text template breaks it) and ``Input``/``InputPath`` are ignored; disabled rules
still fire; schedules never fire, and ``AWS::Scheduler::Schedule`` has no CloudFormation support.

``events_rule_targets`` hands each matched (rule, target) to the runtime as a
:class:`~..event_input.Delivery` (``hooks.deliver_events``), which sends it through the embedded
AWS's own APIs (see ``orderflow.runtime.event_targets``). :func:`scheduled_rules` and
:func:`fire_schedule` are what the runtime's scheduler (``orderflow.runtime.schedules``) reads and
calls. S3 and SNS notifications are in :mod:`.notifications`.

Docs: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html (Scheduled Event),
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html (Scheduler's Input).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import uuid
from typing import Any

from moto.events.models import Rule, events_backends
from moto.utilities.arns import parse_arn

from ..event_input import Delivery, InputError, target_input
from . import hooks
from .cloudformation import ArnModel, add_types
from .registry import REGISTRY, Patch, Patcher

log = logging.getLogger("orderflow.runtime")

# (service, resource type) of the target ARNs moto's own Rule.send_to_targets delivers to (the others)
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


# Targets the runtime delivers (through the embedded AWS's APIs); any other goes to moto's own code.
RUNTIME_TARGETS = ("lambda", "states", "sqs", "sns")


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
                # EventBridge uses the role for Step Functions; Lambda, SQS and SNS are reached through
                # their resource policies (eb-use-resource-based.html), whatever RoleArn says
                role_arn=target.get("RoleArn") if _service(arn) == "states" else None,
                message_group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
            )
        )
    return out


def _report_rule(rule: Any, event: Any, invoked: int, failed: bool) -> None:
    """The rule's outcome to the runtime's AWS/Events metrics (``Hooks.events_rule``)."""
    handler = getattr(hooks.current(), "events_rule", None) if hooks.attached() else None
    if handler is not None:
        event_id = event.get("id") if isinstance(event, dict) else None
        handler(rule.event_bus_name, rule.name, event_id, invoked, failed)


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
        failed = False
        if others:  # logs, archives, buses, API destinations: moto's own delivery
            proxy = copy.copy(self)
            proxy.targets = others
            try:
                original(proxy, original_event, transform_input)
            except Exception as exc:  # delivered after PutEvents answered: a failed invocation
                log.warning("EventBridge rule %s could not invoke its targets: %s", self.name, exc)
                failed = True
        found = deliveries(self, as_target_event(original_event))
        mine = len(self.targets) - len(others)
        failed = failed or len(found) < mine  # a target whose input could not be made
        # the runtime's delivery thread reports a later failure of one of ``found`` (EventDelivery)
        _report_rule(self, original_event, delivered_targets(others) + len(found), failed)
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
        "Input and InputPath are ignored, a text InputTemplate fails, disabled rules fire, a target that "
        "cannot take an event (a deleted log group) fails the PutEvents, and no AWS/Events metric "
        "(TriggeredRules, Invocations, FailedInvocations) is published; here each matched target's input "
        "is made as EventBridge documents it and delivered by the runtime (StartExecution as the "
        "target's RoleArn, an asynchronous Invoke, SendMessage, Publish), and each matched rule's "
        "outcome goes to the runtime, which records the metrics",
        _apply_rule_targets,
        needs_runtime=True,
    )
)


class CfnSchedule(ArnModel):
    """AWS::Scheduler::Schedule through EventBridge Scheduler's CreateSchedule (Ref: its name)."""

    def __init__(self, name: str, arn: str) -> None:
        self.physical_resource_id = name
        self.arn = arn

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
        add_types("scheduler_cfn_schedule", {"AWS::Scheduler::Schedule": CfnSchedule}),
        requires=("missing_cfn_types",),  # its resource_class_from_type looks the type up
    )
)
