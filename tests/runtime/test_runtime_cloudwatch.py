"""CloudWatch, locally, on the fixture stack: function logs in /aws/lambda log groups, metrics (Lambda's,
Step Functions', embedded metric format), and the template's alarms evaluated with an explicit clock."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from orderflow.polling import wait_until
from tests.runtime.runtime_support import run_execution
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e

STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


def client(rt: Any, service: str) -> Any:
    return local_client(service, rt.endpoint_url)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    return wait_until(condition, timeout=timeout, what=what)


def recorded(rt: Any, namespace: str, name: str, **dimensions: str) -> bool:
    key = (namespace, name, frozenset(dimensions.items()))
    return bool(rt.telemetry.store.values(key, 0, time.time() + 3600))


def alarm(rt: Any, logical_id: str) -> dict[str, Any]:
    cloudwatch = client(rt, "cloudwatch")
    [found] = cloudwatch.describe_alarms(AlarmNames=[rt.resources[logical_id]])["MetricAlarms"]
    return dict(found)


def test_each_invocation_logs_start_end_report_to_the_function_log_group(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    done = run_execution(sfn, runtime.outputs["WorkflowArn"], {"order": "logs"})
    assert done["status"] == "SUCCEEDED"
    runtime.flush_telemetry()
    logs = client(runtime, "logs")
    for logical in ("RaiserFunction", "EchoFunction"):
        group = f"/aws/lambda/{runtime.resources[logical]}"
        events = logs.filter_log_events(logGroupName=group)["events"]
        messages = [e["message"] for e in events]
        starts = [m for m in messages if m.startswith("START RequestId: ")]
        ends = [m for m in messages if m.startswith("END RequestId: ")]
        reports = [m for m in messages if m.startswith("REPORT RequestId: ")]
        assert starts and len(starts) == len(ends) == len(reports), messages
        request_id = starts[-1].split()[2]
        assert f"END RequestId: {request_id}" in ends
        report = next(r for r in reports if request_id in r)
        for field in ("Duration: ", "Billed Duration: ", "Memory Size: ", "Max Memory Used: "):
            assert field in report, report
        assert "Init Duration: " in reports[0], "the first invocation of a worker is a cold start"
        assert all(STREAM_NAME.match(e["logStreamName"]) for e in events), {
            e["logStreamName"] for e in events
        }
        # what the handler printed is there too, between START and END, and found by a filter
        printed = logs.filter_log_events(logGroupName=group, filterPattern='"sees"')["events"]
        assert printed and all("sees" in e["message"] for e in printed)


def test_a_rejection_is_a_metric_and_leaves_the_errors_minus_rejections_alarm_ok(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    done = run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "gadget"})
    assert done["status"] == "SUCCEEDED" and '"REJECTED"' in done["output"]
    raiser = runtime.resources["RaiserFunction"]
    wait_for(lambda: recorded(runtime, "fixture", "Rejections", FunctionName=raiser), "the EMF line")
    now = time.time()
    runtime.evaluate_alarms(now)
    cloudwatch = client(runtime, "cloudwatch")
    listed = cloudwatch.list_metrics(Namespace="fixture", MetricName="Rejections")["Metrics"]
    assert {"Name": "FunctionName", "Value": raiser} in listed[0]["Dimensions"], listed
    lambda_metrics = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="AWS/Lambda")["Metrics"]}
    assert {"Invocations", "Errors", "Duration", "ConcurrentExecutions"} <= lambda_metrics
    technical = alarm(runtime, "RaiserTechnicalErrorsAlarm")
    assert technical["StateValue"] == "OK", technical.get("StateReason")
    plain = alarm(runtime, "RaiserErrorsAlarm")  # Lambda's Errors alone: the rejection counts
    assert plain["StateValue"] == "ALARM", plain.get("StateReason")
    assert "Threshold Crossed" in plain["StateReason"]
    runtime.evaluate_alarms(now + 61)  # a minute without data: TreatMissingData "missing", as on AWS
    assert alarm(runtime, "RaiserErrorsAlarm")["StateValue"] == "INSUFFICIENT_DATA"


def test_a_failed_execution_drives_the_failed_alarm_to_alarm_and_back(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    machine = runtime.outputs["WorkflowArn"]
    done = run_execution(sfn, machine, {"crash": "now"})
    assert done["status"] == "FAILED"
    wait_for(
        lambda: recorded(runtime, "AWS/States", "ExecutionsFailed", StateMachineArn=machine), "the metric"
    )
    before = alarm(runtime, "WorkflowFailedAlarm")
    now = time.time()
    changed = runtime.evaluate_alarms(now)
    failed = alarm(runtime, "WorkflowFailedAlarm")
    assert failed["StateValue"] == "ALARM", failed.get("StateReason")
    assert changed[runtime.resources["WorkflowFailedAlarm"]] == "ALARM"
    assert failed["StateUpdatedTimestamp"] >= before["StateUpdatedTimestamp"]
    assert "greater than or equal to the threshold (1)" in failed["StateReason"]
    # the crash is a technical error: the errors-minus-rejections alarm fires too
    assert alarm(runtime, "RaiserTechnicalErrorsAlarm")["StateValue"] == "ALARM"
    runtime.evaluate_alarms(now + 61)  # the next period has no failure: it clears
    assert alarm(runtime, "WorkflowFailedAlarm")["StateValue"] == "OK"
    assert alarm(runtime, "RaiserTechnicalErrorsAlarm")["StateValue"] == "OK"
    names = {
        m["MetricName"] for m in client(runtime, "cloudwatch").list_metrics(Namespace="AWS/States")["Metrics"]
    }
    assert {"ExecutionsStarted", "ExecutionsFailed", "ExecutionTime"} <= names
