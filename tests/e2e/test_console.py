"""The web console in a real browser (headless Chromium), against the e2e stack: a confirmed, a rejected
and a failed order, each opened as a graph; starting an execution from the page; no JavaScript errors.
Screenshots are saved under test-artifacts/console/."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from orderflow.console import Console
from orderflow.runtime.faults import parse_rules
from tests.e2e.e2e_support import Stack
from tests.support.browser import browser, page_errors, screenshot, serving_console, wait_for

__all__ = ["browser"]  # the fixture, imported for this module

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Console]:
    with serving_console(stack.runtime) as served:
        yield served


@pytest.fixture(scope="module")
def orders(stack: Stack) -> dict[str, str]:
    """A confirmed, a rejected (out of stock) and a failed order (CheckStock's Invoke answers
    Lambda's EC2ThrottledException: neither retried nor caught): outcome -> order id (= execution name)."""
    ids = stack.seed_products(mug=5)
    made = {
        outcome: f"console-{outcome}-{uuid.uuid4().hex[:6]}"
        for outcome in ("confirmed", "rejected", "failed")
    }
    quantities = {"confirmed": 1, "rejected": 99, "failed": 1}
    for outcome in ("confirmed", "rejected"):
        body = {
            "orderId": made[outcome],
            "customerId": "c-console",
            "items": [{"productId": ids["mug"], "quantity": quantities[outcome]}],
        }
        assert stack.api.post("/orders", body)[0] == 202
        stack.final_status(made[outcome])
    stack.runtime.set_faults(
        parse_rules(
            {
                "rules": [
                    {
                        "service": "lambda",
                        "resources": ["CheckStockFunction"],
                        "error": "EC2ThrottledException",
                    }
                ]
            }
        )
    )
    try:
        body = {
            "orderId": made["failed"],
            "customerId": "c-console",
            "items": [{"productId": ids["mug"], "quantity": 1}],
        }
        assert stack.api.post("/orders", body)[0] == 202
        stack.final_status(made["failed"])
    finally:
        stack.runtime.faults.clear()
    # the functions' log lines in CloudWatch Logs now (the runtime ships them every second)
    stack.runtime.flush_telemetry()
    return made


def attempt_request_ids(stack: Stack, driver: Any, state: str) -> list[str | None]:
    """The request ids of a state's Lambda attempts, read from the shown execution's history (the
    task result's SdkResponseMetadata or the error's requestId / Request ID), in attempt order."""
    from orderflow.console import model

    arn = urllib.parse.unquote(driver.current_url.split("#/execution/", 1)[1])
    events = stack.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [a["requestId"] for a in model.outcomes(events)["states"][state]["attempts"]]


def settled_log_slots(driver: Any) -> list[Any]:
    """The attempts' log slots once none is loading or waiting for lines still to be shipped."""
    return wait_for(
        driver,
        lambda d: [
            e
            for e in d.find_elements("css selector", "#state-logs .attempt-logs")
            if "loading" not in e.text and "(yet:" not in e.text
        ],
        what="the step's log lines",
    )


def state_classes(driver: Any) -> dict[str, str]:
    return {
        node.get_attribute("data-state"): node.get_attribute("data-status")
        for node in driver.find_elements("css selector", "#graph g.state")
    }


def open_execution(driver: Any, console: Console, name: str, status_filter: str = "") -> dict[str, str]:
    driver.get(console.url + "#/")
    if status_filter:
        wait_for(
            driver, lambda d: d.find_elements("css selector", "#status-filter"), what="the status filter"
        )
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element("css selector", "#status-filter")).select_by_value(status_filter)
    # The list redraws itself every 2 s: its link's address is read, then followed.
    href = wait_for(
        driver,
        lambda d: next(
            (
                a.get_attribute("href")
                for a in d.find_elements("css selector", f'a.execution-link[data-name="{name}"]')
            ),
            None,
        ),
        what=f"execution {name} in the list",
    )
    driver.get(href)
    arn = urllib.parse.unquote(href.split("#/execution/", 1)[1])
    wait_for(
        driver,
        lambda d: d.find_elements("css selector", f'#graph[data-execution="{arn}"] g.state'),
        what="the graph",
    )
    return state_classes(driver)


def test_console_shows_confirmed_rejected_and_failed_executions(
    stack: Stack, console: Console, orders: dict[str, str], browser: Any
) -> None:
    confirmed = open_execution(browser, console, orders["confirmed"])
    assert confirmed["ValidateOrder"] == "succeeded"
    assert confirmed["WriteOrder"] == "succeeded"
    assert confirmed["OrderConfirmed"] == "succeeded"
    assert confirmed["OrderRejected"] == "not-reached"
    assert browser.find_element("css selector", "#execution-status").text == "SUCCEEDED"
    assert len(browser.find_elements("css selector", "#events tbody tr")) > 10
    screenshot(browser, "confirmed")

    rejected = open_execution(browser, console, orders["rejected"])
    assert rejected["CheckStock"] == "caught"
    assert rejected["OrderRejected"] == "succeeded"
    assert rejected["WriteOrder"] == "not-reached"
    details = browser.find_element("css selector", "#state-details")  # the caught state is selected
    assert details.get_attribute("data-state") == "CheckStock"
    assert "OutOfStock" in details.text
    # the caught step's Lambda invocation, named by the request id in its error: its lines only
    [request_id] = attempt_request_ids(stack, browser, "CheckStock")
    assert request_id
    rejected_logs = settled_log_slots(browser)
    assert f"(request {request_id})" in rejected_logs[0].text
    shown = rejected_logs[0].find_element("css selector", "pre.log-lines").text.splitlines()
    assert f"START RequestId: {request_id}" in shown[0]
    assert f"REPORT RequestId: {request_id}" in shown[-1]
    assert all(request_id in line for line in shown if "RequestId: " in line)  # no other invocation's
    screenshot(browser, "rejected")

    failed = open_execution(browser, console, orders["failed"], status_filter="FAILED")
    assert failed["ValidateOrder"] == "succeeded"
    assert failed["CheckStock"] == "failed"
    assert failed["WriteOrder"] == "not-reached"
    assert browser.find_element("css selector", "#execution-status").text == "FAILED"
    details = browser.find_element("css selector", "#state-details")
    assert details.get_attribute("data-state") == "CheckStock"
    assert "Lambda.EC2ThrottledException" in details.find_element("css selector", ".state-error").text
    # The Lambda invocation's log lines: its log group's lines, or why there are none.
    logs = settled_log_slots(browser)
    function = stack.runtime.functions["CheckStockFunction"]
    group = f"/aws/lambda/{function}"
    assert group in logs[0].text
    # The log group exists (the runtime ships every invocation's lines there), but this attempt's
    # injected throttle was Lambda's answer to the Invoke: as on AWS, no invocation, so no lines; the
    # console says so rather than showing another invocation's lines.
    assert stack.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    [request_id] = attempt_request_ids(stack, browser, "CheckStock")
    assert (
        f"no invocation: Lambda answered the Invoke (request {request_id}) with an error, {function} did "
        "not run, so there are no log lines" in logs[0].text
    )
    assert not logs[0].find_elements("css selector", "pre.log-lines")
    screenshot(browser, "failed")

    # Selecting another state shows its input and output.
    browser.find_element("css selector", '#graph g.state[data-state="ValidateOrder"] rect').click()
    details = wait_for(
        browser,
        lambda d: next(
            iter(d.find_elements("css selector", '#state-details[data-state="ValidateOrder"]')), None
        ),
        what="ValidateOrder's details",
    )
    assert orders["failed"] in details.text  # its input carries the order id
    assert page_errors(browser) == []


def test_console_starts_an_execution(stack: Stack, console: Console, browser: Any) -> None:
    ids = stack.seed_products(plate=3)
    name = f"console-started-{uuid.uuid4().hex[:6]}"
    order = {
        "orderId": name,
        "customerId": "c-console",
        "items": [{"productId": ids["plate"], "quantity": 1}],
    }
    browser.get(console.url + "#/start")
    box = wait_for(
        browser, lambda d: next(iter(d.find_elements("css selector", "#start-input")), None), what="the form"
    )
    box.clear()
    box.send_keys(json.dumps(order))
    browser.find_element("css selector", "#start-name").send_keys(name)
    browser.find_element("css selector", "#start-submit").click()
    # The page goes to the new execution and refreshes it until it ends.
    wait_for(
        browser,
        lambda d: (
            d.find_elements("css selector", "#execution-status")
            and d.find_element("css selector", "#execution-status").text == "SUCCEEDED"
        ),
        timeout=30,
        what="the started execution to succeed",
    )
    assert state_classes(browser)["OrderConfirmed"] == "succeeded"
    body, _ = stack.final_status(name)
    assert body["status"] == "CONFIRMED"
    screenshot(browser, "started")
    assert page_errors(browser) == []


def show(browser: Any, console: Console, page: str, title: str) -> None:
    """Go to a page of the console (a hash change: no reload) and wait for its title."""
    browser.get(console.url + f"#/{page}")
    wait_for(browser, lambda d: title in d.find_element("css selector", "main h1").text, what=title)


def test_console_resources_tables_queues(stack: Stack, console: Console, browser: Any) -> None:
    show(browser, console, "resources", "Stack ")
    assert stack.runtime.resources["OrdersTable"] in browser.find_element("css selector", "main").text
    show(browser, console, "tables", "DynamoDB tables")
    table = stack.runtime.resources["ProductsTable"]
    row = next(r for r in browser.find_elements("css selector", "tbody tr") if table in r.text)
    row.click()
    wait_for(browser, lambda d: "productId" in d.find_element("css selector", "#items").text, what="items")
    show(browser, console, "queues", "SQS queues")
    wait_for(
        browser,
        lambda d: "OrderNotificationsQueue" in d.find_element("css selector", "main").text,
        what="queues",
    )
    show(browser, console, "outbox", "Outbox")
    show(browser, console, "alarms", "Alarms")
    wait_for(
        browser, lambda d: "ExecutionsFailed" in d.find_element("css selector", "main").text, what="alarms"
    )
    screenshot(browser, "alarms")
    assert page_errors(browser) == []
