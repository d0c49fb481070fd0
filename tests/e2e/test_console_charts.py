"""The console's drawings in a real browser (headless Chromium), against the e2e stack: no graph label
cut at the graph's edge, chart legends that never squash their plots, the dead-letter queue widget
showing the queue's depth, and an execution's timers stopped when it ends, ABORTED included.
Screenshots under test-artifacts/console/."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from orderflow.console import Console
from tests.e2e.e2e_support import Stack
from tests.e2e.test_console import open_execution
from tests.support.browser import browser, page_errors, screenshot, serving_console, wait_for

__all__ = ["browser"]

pytestmark = pytest.mark.e2e

# Bounds a gate the test forgot to release (a broken run only): the test releases it in its finally.
GATE_BOUND_S = 600

# The plot keeps at least this share of its widget, however long the legend (app.css: 60%).
PLOT_SHARE = 0.55

# Every text of the svg against the svg's viewBox, both in the svg's user units.
OUTSIDE_LABELS = """
const root = arguments[0];
const [vx, vy, vw, vh] = root.getAttribute("viewBox").split(" ").map(Number);
const out = [];
for (const t of root.querySelectorAll("text")) {
  const b = t.getBBox();
  if (!t.textContent) continue;
  if (b.x < vx - 0.5 || b.y < vy - 0.5 || b.x + b.width > vx + vw + 0.5 || b.y + b.height > vy + vh + 0.5)
    out.push([t.textContent, b.x, b.y, b.width, b.height, vx, vy, vw, vh]);
}
return out;
"""


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Console]:
    with serving_console(stack.runtime) as served:
        yield served


def test_no_graph_label_is_cut_at_the_graphs_edge(stack: Stack, console: Console, browser: Any) -> None:
    ids = stack.seed_products(mug=5)
    name = f"labels-{uuid.uuid4().hex[:6]}"
    body = {"orderId": name, "customerId": "c-labels", "items": [{"productId": ids["mug"], "quantity": 1}]}
    assert stack.api.post("/orders", body)[0] == 202
    stack.final_status(name)
    open_execution(browser, console, name)
    root = browser.find_element("css selector", "#graph svg")
    labels = [t.text for t in root.find_elements("css selector", "g.edge text")]
    assert any(label.startswith("Catch") or "States." in label for label in labels), labels
    assert browser.execute_script(OUTSIDE_LABELS, root) == []
    # and the page shows the svg whole (no scaling that would cut it either)
    shown = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const p = arguments[0].parentElement.getBoundingClientRect();"
        "return [r.left >= p.left - 1, r.right <= p.right + 1];",
        root,
    )
    assert shown == [True, True]
    screenshot(browser, "graph-labels")
    assert page_errors(browser) == []


def dashboard_widget(browser: Any, title: str) -> Any:
    return wait_for(
        browser,
        lambda d: next(
            (
                w
                for w in d.find_elements("css selector", '#dashboard-grid .widget[data-type="metric"]')
                if w.find_element("css selector", "h3").text == title
            ),
            None,
        ),
        what=f"the widget {title!r}",
    )


def test_chart_legends_never_squash_their_plots(stack: Stack, console: Console, browser: Any) -> None:
    name = stack.runtime.outputs["DashboardName"]
    browser.get(console.url + "#/dashboards/" + name)
    for title in ("Lambda duration p99 (ms)", "DynamoDB throttle events per minute"):
        widget = dashboard_widget(browser, title)
        chart = widget.find_element("css selector", "svg.chart")
        legend = widget.find_element("css selector", ".series-legend")
        assert len(legend.find_elements("css selector", "span[data-series]")) >= 7
        assert chart.size["height"] >= PLOT_SHARE * widget.size["height"], (chart.size, widget.size)
        # the legend stays inside its widget (it scrolls when it is longer)
        assert (
            legend.location["y"] + legend.size["height"] <= widget.location["y"] + widget.size["height"] + 1
        )
        # percentiles are drawn, not refused
        assert "not computed" not in legend.text and "not a CloudWatch statistic" not in legend.text
    browser.execute_script(
        "arguments[0].scrollIntoView()", dashboard_widget(browser, "Lambda duration p99 (ms)")
    )
    screenshot(browser, "dashboard-legends")
    assert page_errors(browser) == []


def test_the_dead_letter_queue_widget_shows_the_queues_depth(
    stack: Stack, console: Console, browser: Any
) -> None:
    sqs = stack.client("sqs")
    url = stack.runtime.resources["OrderNotificationsDlq"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody='{"dead": "letter"}')
        depth = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        # SQS publishes its depth once a minute: the runtime's sample of this minute, taken now
        assert stack.runtime.service_metrics is not None
        stack.runtime.service_metrics.sample(dt.datetime.now(dt.UTC).timestamp(), explicit=True)
        stack.runtime.flush_telemetry()
        name = stack.runtime.outputs["DashboardName"]
        browser.get(console.url + "#/")  # a fresh load of the dashboard (not the page an earlier test left)
        browser.get(console.url + "#/dashboards/" + name)
        widget = dashboard_widget(browser, "Dead-letter queue depth (messages visible)")
        [entry] = [
            s
            for s in widget.find_elements("css selector", ".series-legend span[data-series]")
            if s.text.startswith("order notifications DLQ")
        ]
        assert "no data" not in entry.text, entry.text
        assert float(entry.get_attribute("data-last")) == depth >= 1
        assert widget.find_elements("css selector", "svg.chart polyline.series, svg.chart circle")
        browser.execute_script("arguments[0].scrollIntoView()", widget)
        screenshot(browser, "dashboard-dlq")
        assert page_errors(browser) == []
    finally:  # the shared stack's DLQ as the other tests expect it
        assert stack.take_back("OrderNotificationsDlq", '{"dead": "letter"}') == 1


def test_an_aborted_executions_timers_stop(stack: Stack, console: Console, browser: Any) -> None:
    """The first task is held at a gate (an injected latency whose sleep waits for the test), the
    execution is stopped there: the page shows ABORTED at once and its timers end at the stop.

    The gate sits inside the task's timed call, and the browser may take long on a loaded machine:
    for this test ValidateOrder's TimeoutSeconds (15 s in the template) is an hour, so the task can
    never time out and be retried (a second TaskScheduled) while the page loads; the gate's own
    bound only ends a broken run (the test releases it)."""
    sfn = stack.client("stepfunctions")
    arn = stack.runtime.outputs["OrderWorkflowArn"]
    release, held = threading.Event(), threading.Event()
    sleep = stack.runtime.faults.sleep

    def gate(_seconds: float) -> None:
        held.set()
        release.wait(GATE_BOUND_S)

    from orderflow.runtime.faults import parse_rules

    stack.runtime.faults.sleep = gate
    stack.runtime.set_faults(
        parse_rules(
            {"rules": [{"service": "lambda", "resources": ["ValidateOrderFunction"], "latency_ms": 1}]}
        )
    )
    name = f"aborted-{uuid.uuid4().hex[:6]}"
    definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    untimed = json.loads(definition)
    untimed["States"]["ValidateOrder"]["TimeoutSeconds"] = 3600
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(untimed))
    try:
        execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
        assert held.wait(15), "the first task reached the gate"
        open_execution(browser, console, name)
        assert browser.find_element("css selector", "#execution-status").text == "RUNNING"
        sfn.stop_execution(executionArn=execution_arn, error="Operator", cause="stopped from the test")
        described = sfn.describe_execution(executionArn=execution_arn)
        assert described["status"] == "ABORTED"  # at once, the invocation still held at the gate
        wait_for(
            browser,
            lambda d: d.find_element("css selector", "#execution-status").text == "ABORTED",
            what="the page to show ABORTED",
        )
    finally:
        release.set()
        stack.runtime.faults.clear()
        stack.runtime.faults.sleep = sleep
        sfn.update_state_machine(stateMachineArn=arn, definition=definition)
    summary = browser.find_element("css selector", "#execution-status").find_element(
        "xpath", "../following-sibling::p[2]"
    )
    assert "took " in summary.text and "running for" not in summary.text, summary.text
    details = browser.find_element("css selector", '#state-details[data-state="ValidateOrder"]')
    [row] = details.find_elements("css selector", "table tbody tr")
    cells = [c.text for c in row.find_elements("css selector", "td")]
    assert cells[1] == "unfinished", cells
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    [started] = [e for e in history if e["type"] == "TaskScheduled"]
    took_ms = (described["stopDate"] - started["timestamp"]).total_seconds() * 1000
    shown = cells[3]
    shown_ms = float(shown[:-3]) if shown.endswith(" ms") else float(shown[:-2]) * 1000
    assert abs(shown_ms - took_ms) <= 10, (shown, took_ms)  # ends at the stop, not growing
    screenshot(browser, "aborted-timer")
    assert page_errors(browser) == []
