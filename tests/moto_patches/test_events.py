"""events_rule_targets, scheduler_cfn_schedule (runtime/moto/events.py).

events_rule_targets is the one owner of ``Rule.send_to_targets``: it delivers and also reports each
matched rule's outcome (TriggeredRules, Invocations, FailedInvocations: "Monitoring Amazon
EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern: tests/moto_patches/support.py).

- Targets and input transformation: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
- Scheduler schedules in CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html
"""

from __future__ import annotations

import json
from typing import Any

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    ACCOUNT,
    REGION,
    RecordingHooks,
    client,
    create_function,
    create_stack,
    gap,
)

QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"


def put_event(detail: dict[str, Any], source: str = "tests.shop") -> None:
    try:
        answer = client("events").put_events(
            Entries=[{"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail)}]
        )
    except Exception as exc:  # plain moto: a Lambda or Step Functions target raises inside PutEvents
        raise AssertionError(f"PutEvents failed: {exc!r}") from exc
    assert answer["FailedEntryCount"] == 0


# -------------------------------------------------------------------------------- events_rule_targets


def check_events_rule_targets(recorded: RecordingHooks) -> None:
    client("sqs").create_queue(QueueName="orders")
    function_arn = create_function("on-order")
    events = client("events")
    rule_arn = events.put_rule(Name="placed", EventPattern=json.dumps({"source": ["tests.shop"]}))["RuleArn"]
    events.put_rule(Name="off", EventPattern=json.dumps({"source": ["tests.shop"]}), State="DISABLED")
    events.put_targets(
        Rule="off", Targets=[{"Id": "never", "Arn": QUEUE_ARN, "Input": '"from a disabled rule"'}]
    )
    events.put_targets(
        Rule="placed",
        Targets=[
            {
                "Id": "text",
                "Arn": QUEUE_ARN,
                "InputTransformer": {
                    "InputPathsMap": {"id": "$.detail.id"},
                    "InputTemplate": "order <id> was placed",
                },
            },
            {"Id": "fn", "Arn": function_arn, "InputPath": "$.detail"},
        ],
    )
    put_event({"id": "o-1", "total": 3})
    got = {d.target_id: (d.arn, d.input) for d in recorded.deliveries}
    assert got == {
        "text": (QUEUE_ARN, "order o-1 was placed"),
        "fn": (function_arn, json.dumps({"id": "o-1", "total": 3})),
    }, got
    assert {d.rule_arn for d in recorded.deliveries} == {rule_arn}


@gap("events_rule_targets")
def test_events_rule_targets_gap_in_plain_moto(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_events_rule_targets(runtime_hooks)


def test_events_rule_targets_patched(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    with REGISTRY.enabled("events_rule_targets"):
        check_events_rule_targets(runtime_hooks)


def check_events_rule_outcomes(recorded: RecordingHooks) -> str:
    """Each matched rule's outcome reaches the runtime (one report per rule, whoever delivers its
    targets); a target moto delivers that fails (a log group that is gone) is a FailedInvocation,
    not a failed PutEvents. The event's id."""
    client("sqs").create_queue(QueueName="orders")
    logs = client("logs")
    logs.create_log_group(logGroupName="/orders")
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/orders"
    gone_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/gone"
    events = client("events")
    pattern = json.dumps({"source": ["tests.shop"]})
    for name, targets in (
        ("to-queue", [{"Id": "q", "Arn": QUEUE_ARN}]),
        ("to-both", [{"Id": "q", "Arn": QUEUE_ARN}, {"Id": "log", "Arn": log_group}]),
        ("to-gone", [{"Id": "log", "Arn": gone_group}]),
    ):
        events.put_rule(Name=name, EventPattern=pattern)
        events.put_targets(Rule=name, Targets=targets)
    events.put_rule(Name="elsewhere", EventPattern=json.dumps({"source": ["other"]}))
    events.put_targets(Rule="elsewhere", Targets=[{"Id": "q", "Arn": QUEUE_ARN}])
    try:
        answer = events.put_events(
            Entries=[{"Source": "tests.shop", "DetailType": "Order Placed", "Detail": "{}"}]
        )
    except Exception as exc:
        raise AssertionError(f"a failed target failed the PutEvents: {exc!r}") from exc
    [entry] = answer["Entries"]
    event_id = entry["EventId"]
    assert sorted(recorded.events_rules) == [
        ("default", "to-both", event_id, 2, False),
        ("default", "to-gone", event_id, 1, True),
        ("default", "to-queue", event_id, 1, False),
    ], recorded.events_rules
    return str(event_id)


@gap("events_rule_targets")
def test_plain_moto_reports_no_rule_outcome(moto_aws: None, runtime_hooks: RecordingHooks) -> None:
    check_events_rule_outcomes(runtime_hooks)


def test_events_rule_targets_reports_each_matched_rules_outcome(
    moto_aws: None, runtime_hooks: RecordingHooks
) -> None:
    with REGISTRY.enabled("events_rule_targets"):
        check_events_rule_outcomes(runtime_hooks)
    # the queue targets went to the runtime (its delivery thread reports a failure later); the log
    # group to moto's own delivery
    assert sorted(d.target_id for d in runtime_hooks.deliveries) == ["q", "q"]
    assert client("logs").filter_log_events(logGroupName="/orders")["events"]


def test_events_rule_targets_step_functions_as_the_role(
    moto_aws: None, runtime_hooks: RecordingHooks
) -> None:
    """A state machine target is delivered with its RoleArn (StartExecution is made as that role)."""
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:flow"
    role = f"arn:aws:iam::{ACCOUNT}:role/events-start"
    events = client("events")
    events.put_rule(Name="placed", EventPattern=json.dumps({"detail-type": ["Order Placed"]}))
    events.put_targets(Rule="placed", Targets=[{"Id": "flow", "Arn": machine, "RoleArn": role}])
    with REGISTRY.enabled("events_rule_targets"):
        put_event({"id": "o-2"})
        put_event({"id": "o-3"}, source="elsewhere")  # matched too: the pattern names only the detail-type
    assert [(d.arn, d.role_arn) for d in runtime_hooks.deliveries] == [(machine, role)] * 2
    event = json.loads(runtime_hooks.deliveries[0].input)
    assert event["detail"] == {"id": "o-2"} and event["account"] == ACCOUNT
    assert event["time"].endswith("Z") and "ingestion-time" not in event


def test_events_rule_targets_schedule_only_rule_ignores_events(
    moto_aws: None, runtime_hooks: RecordingHooks
) -> None:
    events = client("events")
    events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="hourly", Targets=[{"Id": "q", "Arn": QUEUE_ARN}])
    with REGISTRY.enabled("events_rule_targets"):
        put_event({"id": "o-4"})
    assert runtime_hooks.deliveries == []


# ---------------------------------------------------------------------------- scheduler_cfn_schedule


def check_scheduler_cfn_schedule() -> None:
    target = {
        "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
    }
    template = {
        "Resources": {
            "Daily": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": "cron(0 9 * * ? *)",
                    "ScheduleExpressionTimezone": "Europe/Paris",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": dict(target, Input='{"daily": true}'),
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Daily", "Arn"]}}},
    }
    try:
        stack = create_stack(template)
    except AttributeError as exc:  # plain moto: GetAtt of a type it does not know
        raise AssertionError(f"CreateStack failed: {exc!r}") from exc
    schedules = client("scheduler").list_schedules()["Schedules"]
    assert [s["Target"]["Arn"] for s in schedules] == [target["Arn"]], schedules
    got = client("scheduler").get_schedule(Name=schedules[0]["Name"])
    assert got["ScheduleExpressionTimezone"] == "Europe/Paris" and got["Target"]["Input"] == '{"daily": true}'
    assert stack["Outputs"][0]["OutputValue"] == got["Arn"]


@gap("scheduler_cfn_schedule")
def test_scheduler_cfn_schedule_gap_in_plain_moto(moto_aws: None) -> None:
    check_scheduler_cfn_schedule()


def test_scheduler_cfn_schedule_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("missing_cfn_types", "scheduler_cfn_schedule"):  # it requires missing_cfn_types
        check_scheduler_cfn_schedule()
