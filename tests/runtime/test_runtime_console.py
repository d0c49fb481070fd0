"""The web console on the runtime's own small fixture app (it is generic): its JSON API, its guard
against other sites, the queue peek that receives nothing, and the page in a real browser."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from orderflow.console import Console
from tests.runtime.runtime_support import run_execution
from tests.support.aws import local_client
from tests.support.browser import browser, page_errors, screenshot, serving_console, wait_for

__all__ = ["browser"]  # the fixture, imported for this module


@pytest.fixture(scope="module")
def console(runtime: Any) -> Iterator[Console]:
    with serving_console(runtime) as served:
        yield served


def call(
    console: Console, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(console.url.rstrip("/") + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_console_api_on_the_fixture_app(runtime: Any, console: Console) -> None:
    sfn = local_client("stepfunctions", runtime.endpoint_url)
    execution = run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "widget"})  # caught -> Park
    status, overview = call(console, "/api/overview")
    assert status == 200
    assert {m["type"] for m in overview["machines"]} == {"STANDARD", "EXPRESS"}
    status, listed = call(console, "/api/executions?machine=" + runtime.outputs["WorkflowArn"])
    assert status == 200
    assert listed["executions"][0]["executionArn"] == execution["executionArn"]
    status, shown = call(console, "/api/execution?arn=" + urllib.parse.quote(execution["executionArn"]))
    assert status == 200
    states = shown["outcome"]["states"]
    assert states["Raise"]["status"] == "caught"
    assert states["Park"]["status"] == "succeeded"
    assert "Echo" not in states  # not reached
    assert {n["name"] for n in shown["graph"]["nodes"]} >= {"Raise", "Echo", "Park", "Rejected"}
    assert ("Raise", "Park", "catch") in {
        (e["source"], e["target"], e["kind"]) for e in shown["graph"]["edges"]
    }
    assert shown["history"][0]["type"] == "ExecutionStarted"

    # EXPRESS: started synchronously; listed and shown from the state machine's log group.
    fast = {"machine": runtime.outputs["FastWorkflowArn"], "input": json.dumps({"raise": "widget"})}
    headers = {"Content-Type": "application/json", "X-Console-Token": console.token}
    status, started = call(console, "/api/start", fast, headers)
    assert status == 200, started
    assert started["status"] == "SUCCEEDED"
    status, express = call(console, "/api/executions?machine=" + runtime.outputs["FastWorkflowArn"])
    assert status == 200
    assert "log group" in express["notice"]
    assert started["executionArn"] in [e["executionArn"] for e in express["executions"]]
    status, shown = call(console, "/api/execution?arn=" + urllib.parse.quote(started["executionArn"]))
    assert status == 200, shown
    assert shown["machine"]["type"] == "EXPRESS"
    assert "level ERROR" in shown["notice"]  # only the errors are logged: the page says so
    failures = [r for r in shown["history"] if r["type"] == "TaskFailed"]
    assert failures and failures[0]["details"]["error"] == "OutOfStock"

    status, resources = call(console, "/api/resources")
    assert status == 200
    assert runtime.resources["ItemsTable"] in {r["physicalId"] for r in resources["resources"]}
    for path in ("/api/tables", "/api/queues", "/api/outbox", "/api/alarms"):
        assert call(console, path)[0] == 200, path


def test_console_answers_bad_requests_with_json(console: Console) -> None:
    assert call(console, "/api/nope")[0] == 404
    status, answer = call(console, "/api/executions")
    assert (status, answer["message"]) == (400, "missing query parameter machine")
    status, answer = call(console, "/api/execution?arn=arn:aws:states:us-east-1:123456789012:execution:x:y")
    assert 400 <= status < 500 and answer["message"]
    status, answer = call(console, "/api/items?table=nope&limit=zero")
    assert (status, answer["message"]) == (400, "limit must be an integer, not 'zero'")


def test_console_refuses_other_sites_and_untokened_changes(runtime: Any, console: Console) -> None:
    start = {"machine": runtime.outputs["WorkflowArn"], "input": "{}"}
    json_type = {"Content-Type": "application/json"}
    assert call(console, "/api/start", start, json_type)[0] == 403  # no token
    assert call(console, "/api/start", start, {**json_type, "X-Console-Token": "guess"})[0] == 403
    assert call(console, "/api/overview", headers={"Origin": "http://evil.example"})[0] == 403
    assert call(console, "/api/overview", headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert call(console, "/api/overview", headers={"Host": f"evil.example:{console.port}"})[0] == 403
    own = {"Origin": f"http://127.0.0.1:{console.port}", "Sec-Fetch-Site": "same-origin"}
    assert call(console, "/api/overview", headers=own)[0] == 200
    status, started = call(
        console, "/api/start", start, {**json_type, **own, "X-Console-Token": console.token}
    )
    assert status == 200, started
    with urllib.request.urlopen(console.url, timeout=30) as response:
        page = response.read().decode()
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert console.token in page
    assert "https://" not in page  # every asset is served from the package


def test_peeking_a_queue_receives_nothing(runtime: Any, console: Console) -> None:
    sqs = local_client("sqs", runtime.endpoint_url)
    url = runtime.outputs["FailuresQueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"peek": 1}')
    name = url.rsplit("/", 1)[-1]
    for _ in range(2):
        status, peeked = call(console, "/api/messages?queue=" + name)
        assert status == 200
        assert [(m["body"], m["receiveCount"], m["visible"]) for m in peeked["messages"]] == [
            ('{"peek": 1}', 0, True)
        ]
    received = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"  # the peeks were no receives
    status, peeked = call(console, "/api/messages?queue=" + name)
    assert peeked["messages"][0]["visible"] is False  # in flight now
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    assert call(console, "/api/messages?queue=no-such-queue")[0] == 404


def drawn(browser: Any, arn: str) -> None:
    """Wait for this execution's graph (a hash change does not reload: the last page stays until then)."""
    wait_for(
        browser,
        lambda d: d.find_elements("css selector", f'#graph[data-execution="{arn}"] g.state'),
        what="the graph",
    )


def test_console_page_draws_the_fixture_workflow(runtime: Any, console: Console, browser: Any) -> None:
    sfn = local_client("stepfunctions", runtime.endpoint_url)
    execution = run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "widget"}, name="console-fx")
    browser.get(console.url + "#/execution/" + urllib.parse.quote(execution["executionArn"], safe=""))
    drawn(browser, execution["executionArn"])
    classes = {
        node.get_attribute("data-state"): node.get_attribute("data-status")
        for node in browser.find_elements("css selector", "#graph g.state")
    }
    assert classes == {"Raise": "caught", "Park": "succeeded", "Rejected": "succeeded", "Echo": "not-reached"}
    assert browser.find_elements("css selector", "#graph g.edge.catch")
    screenshot(browser, "fixture-app")
    assert page_errors(browser) == []


NESTED = {
    "StartAt": "Decide",
    "States": {
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fast", "BooleanEquals": True, "Next": "Fan"}],
            "Default": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "ItemProcessor": {
                                "StartAt": "Work",
                                "States": {"Work": {"Type": "Pass", "End": True}},
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Oops"},
    },
}


def test_console_page_draws_parallel_and_map(runtime: Any, console: Console, browser: Any) -> None:
    """Any ASL: Choice, Wait, a Parallel whose second branch holds a Map, Succeed and Fail."""
    sfn = local_client("stepfunctions", runtime.endpoint_url)
    machine = sfn.create_state_machine(
        name="console-nested",
        definition=json.dumps(NESTED),
        roleArn=f"arn:aws:iam::{runtime.account_id}:role/console-nested",
    )["stateMachineArn"]
    execution = run_execution(sfn, machine, {"fast": False, "items": [1, 2, 3]})
    assert execution["status"] == "SUCCEEDED", execution
    browser.get(console.url + "#/execution/" + urllib.parse.quote(execution["executionArn"], safe=""))
    drawn(browser, execution["executionArn"])
    classes = {
        node.get_attribute("data-state"): node.get_attribute("data-status")
        for node in browser.find_elements("css selector", "#graph g.state")
    }
    assert classes == {
        "Decide": "succeeded",
        "Pause": "succeeded",
        "Fan": "succeeded",
        "Left": "succeeded",
        "Each": "succeeded",
        "Work": "succeeded",
        "Done": "succeeded",
        "Broken": "not-reached",
    }
    groups = {g.get_attribute("data-group") for g in browser.find_elements("css selector", "#graph g.group")}
    assert groups == {"Fan/branch 1", "Fan/branch 2", "Fan/branch 2/Each/iterator"}
    screenshot(browser, "nested")
    assert page_errors(browser) == []


def fixture_dashboard(runtime: Any, console: Console) -> dict[str, Any]:
    """The fixture's dashboard as the console's API answers it, after one invocation of its function."""
    sfn = local_client("stepfunctions", runtime.endpoint_url)
    run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "widget"})
    runtime.telemetry.flush()  # ship the invocation's metrics now, not at the next second
    status, listed = call(console, "/api/dashboards")
    assert status == 200
    assert [d["name"] for d in listed["dashboards"]] == ["fx-fixture"]
    status, shown = call(console, "/api/dashboard?name=fx-fixture&minutes=10")
    assert status == 200, shown
    return dict(shown)


def test_console_api_draws_the_fixture_dashboard(runtime: Any, console: Console) -> None:
    shown = fixture_dashboard(runtime, console)
    text, metric, alarm = shown["widgets"]
    assert (text["type"], text["text"]) == ("text", "## fixture <app>")
    assert (metric["x"], metric["y"], metric["width"], metric["height"]) == (0, 1, 12, 6)
    series = {s["id"]: s for s in metric["series"]}
    assert set(series) == {"invocations", "fine"}  # errors: hidden, used by the expression only
    assert sum(v for _, v in series["invocations"]["points"]) >= 1
    assert series["fine"]["points"] and all(v is not None for _, v in series["fine"]["points"])
    assert {a["name"] for a in alarm["alarms"]} == {
        runtime.resources["RaiserErrorsAlarm"],
        runtime.resources["WorkflowFailedAlarm"],
    }
    assert all(a["state"] in ("OK", "ALARM", "INSUFFICIENT_DATA") for a in alarm["alarms"])
    status, answer = call(console, "/api/dashboard?name=no-such-dashboard")
    assert (status, answer["message"]) == (404, "no dashboard no-such-dashboard")
    assert call(console, "/api/dashboard")[0] == 400


def test_console_page_draws_the_fixture_dashboard(runtime: Any, console: Console, browser: Any) -> None:
    fixture_dashboard(runtime, console)
    browser.get(console.url + "#/dashboards/fx-fixture")
    wait_for(
        browser,
        lambda d: d.find_elements("css selector", '.widget[data-type="metric"] polyline.series'),
        what="a drawn series",
    )
    kinds = [w.get_attribute("data-type") for w in browser.find_elements("css selector", ".widget")]
    assert kinds == ["text", "metric", "alarm"]
    text = browser.find_element("css selector", '.widget[data-type="text"]').text
    assert "fixture <app>" in text  # shown as text, not parsed as HTML
    states = browser.find_elements("css selector", '.widget[data-type="alarm"] .alarm-state')
    assert len(states) == 2
    assert {s.get_attribute("data-state") for s in states} <= {"OK", "ALARM", "INSUFFICIENT_DATA"}
    screenshot(browser, "dashboard")
    assert page_errors(browser) == []
