"""Every SAM event source of tests/apps/event_sources/template.yaml, wired by the local runtime: each
event reaches the function (its recorder writes it to SeenTable) or the state machine as AWS shapes it.

- SAM event sources: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventsource.html
- EventBridge targets: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.apps.app_support import executions_of, recorded, wait_until
from tests.runtime.runtime_support import running

TEMPLATE = Path(__file__).parent / "event_sources" / "template.yaml"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running(TEMPLATE, "evsrc", state_dir=tmp_path_factory.mktemp("state")) as runtime:
        runtime.schedules.stop()  # the tests drive the schedules with tick(), not the clock
        yield runtime


def put_order(rt: Any, order_id: str, total: float, source: str = "tests.shop") -> None:
    detail = json.dumps({"id": order_id, "total": total})
    answer = rt.client("events").put_events(
        Entries=[{"Source": source, "DetailType": "Order Placed", "Detail": detail}]
    )
    assert answer["FailedEntryCount"] == 0


def test_eventbridge_rule_to_a_function_with_an_input_transformer(rt: Any) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    put_order(rt, order, 12.5)
    [event] = recorded(rt, "eventbridge", lambda e: e.get("order") == order)
    rule = event.pop("rule")
    assert event == {"order": order, "text": f"order {order} totals 12.5"}
    assert rule.startswith("evsrc-OnOrderPlacedPlaced-")


def test_eventbridge_rule_to_a_state_machine_with_an_input_path(rt: Any) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    put_order(rt, order, 3)
    put_order(rt, f"{order}-other", 4, source="tests.elsewhere")  # matches no rule
    machine = rt.outputs["NightlyArn"]
    [execution] = wait_until(
        lambda: (
            [
                e
                for e in executions_of(rt, machine)
                if json.loads(e["input"]).get("id", "").startswith(order) and e["status"] != "RUNNING"
            ]
            or None
        ),
        "the rule's execution, ended",  # listed once started: its end is what the test checks
    )
    assert json.loads(execution["input"]) == {"id": order, "total": 3}
    assert execution["status"] == "SUCCEEDED"


def test_s3_upload_invokes_the_function_for_its_prefix_only(rt: Any) -> None:
    s3 = rt.client("s3")
    name = uuid.uuid4().hex[:8]
    s3.put_object(Bucket=rt.outputs["UploadsBucket"], Key=f"other/{name}.txt", Body=b"no")
    s3.put_object(Bucket=rt.outputs["UploadsBucket"], Key=f"incoming/{name} 1.txt", Body=b"hello")

    def keyed(event: dict[str, Any]) -> bool:
        return name in event["Records"][0]["s3"]["object"]["key"]

    [event] = recorded(rt, "s3", keyed)
    record = event["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == rt.outputs["UploadsBucket"]
    assert record["s3"]["object"]["key"] == f"incoming/{name}+1.txt"
    assert record["s3"]["object"]["size"] == 5


def test_sqs_queue_feeds_the_function(rt: Any) -> None:
    body = f"job-{uuid.uuid4().hex[:8]}"
    rt.client("sqs").send_message(QueueUrl=rt.outputs["JobsUrl"], MessageBody=body)
    [event] = recorded(rt, "sqs", lambda e: e["Records"][0]["body"] == body)
    assert event["Records"][0]["eventSource"] == "aws:sqs"


def test_sns_topic_delivers_to_the_subscribed_function(rt: Any) -> None:
    text = f"alert-{uuid.uuid4().hex[:8]}"
    message_id = rt.client("sns").publish(
        TopicArn=rt.outputs["AlertsTopic"],
        Message=text,
        MessageAttributes={"level": {"DataType": "String", "StringValue": "high"}},
    )["MessageId"]
    [event] = recorded(rt, "sns", lambda e: e["Records"][0]["Sns"]["Message"] == text)
    sns = event["Records"][0]["Sns"]
    assert sns["TopicArn"] == rt.outputs["AlertsTopic"] and sns["MessageId"] == message_id
    assert sns["MessageAttributes"] == {"level": {"Type": "String", "Value": "high"}}


def test_schedules_fire_on_the_tick_hook(rt: Any) -> None:
    """One tick two days on fires each schedule once: the Schedule events (scheduled rules: rate(1
    hour) on a function, with its constant Input; cron(0 2 * * ? *) on the state machine, a Scheduled
    Event at 02:00 UTC) and the ScheduleV2 ones (AWS::Scheduler::Schedule: the target's Input as is,
    to a function and, at 09:00 Europe/Paris, to the state machine started as the schedule's role)."""
    schedules = rt.schedules
    machine = rt.outputs["NightlyArn"]
    now = schedules.clock()
    schedules.tick(now)  # both rules seen: their cursors start now
    schedules.tick(now + 2 * 86400)
    recorded(rt, "schedule", lambda e: e == {"tick": True})
    [scheduled] = wait_until(
        lambda: (
            [
                e
                for e in executions_of(rt, machine)
                if json.loads(e["input"]).get("detail-type") == "Scheduled Event"
            ]
            or None
        ),
        "the cron rule's execution",
    )
    event = json.loads(scheduled["input"])
    assert event["source"] == "aws.events" and event["detail"] == {}
    assert event["resources"][0].split("/")[-1].startswith("evsrc-NightlyAtTwo-")
    when = dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    assert (when.hour, when.minute, when.second) == (2, 0, 0)

    recorded(rt, "schedule-v2", lambda e: e == {"daily": True})
    wait_until(
        lambda: (
            [e for e in executions_of(rt, machine) if json.loads(e["input"]) == {"morning": "Paris"}] or None
        ),
        "the Scheduler schedule's execution",
    )
    [paris] = [when for arn, when in schedules.fired if ":scheduler:" in arn and "MorningInParis" in arn]
    assert (paris.astimezone(ZoneInfo("Europe/Paris")).hour, paris.minute) == (9, 0)
    names = ("NightlyAtTwo", "NightlyMorningInParis", "OnDailyDaily", "OnTickHourly")
    fired = sorted(next(n for n in names if n in arn) for arn, _ in schedules.fired)
    assert fired == list(names), schedules.fired


def test_a_step_functions_target_starts_as_the_rule_role(rt: Any, caplog: pytest.LogCaptureFixture) -> None:
    """StartExecution is made as the target's RoleArn: a role that may not start it is refused (IAM
    enforced), and the delivery is reported in one line."""
    iam = rt.client("iam")
    role = iam.create_role(RoleName=f"no-start-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument="{}")["Role"]
    events = rt.client("events")
    events.put_rule(Name="denied", EventPattern=json.dumps({"source": ["tests.denied"]}))
    events.put_targets(
        Rule="denied", Targets=[{"Id": "flow", "Arn": rt.outputs["NightlyArn"], "RoleArn": role["Arn"]}]
    )
    with caplog.at_level(logging.WARNING, logger="orderflow.runtime"):
        put_order(rt, "o-denied", 1, source="tests.denied")
        assert rt.wait_for_events(10)
    [(delivery, why)] = [(d, w) for d, w in rt.hooks.events.failed if d.rule_arn.endswith("/denied")]
    assert delivery.role_arn == role["Arn"]
    assert "AccessDenied" in why or "not authorized" in why
    assert "EventBridge rule denied target flow not delivered" in caplog.text
