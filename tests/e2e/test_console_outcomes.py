"""The console tells outcomes at a glance (in headless Chromium, against the e2e stack): the list shows
each execution's last state, an error box leads with errorType and errorMessage with the stack trace
folded, and the Start page proposes the
machine's latest input. Screenshots under test-artifacts/console/."""

from __future__ import annotations

import json
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


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Console]:
    with serving_console(stack.runtime) as served:
        yield served


def test_the_list_shows_the_last_state_and_the_error_box_leads_with_type_and_message(
    stack: Stack, console: Console, browser: Any
) -> None:
    name = f"outcome-rejected-{uuid.uuid4().hex[:6]}"
    body = {"orderId": name, "customerId": "c-outcome", "items": [{"productId": "no-such", "quantity": 1}]}
    assert stack.api.post("/orders", body)[0] == 202
    assert stack.final_status(name)[0]["status"] == "REJECTED"
    browser.get(console.url + "#/")
    cell = wait_for(
        browser,
        lambda d: next(
            (
                row.find_element("css selector", ".last-state")
                for row in d.find_elements("css selector", "tbody tr")
                if name in row.text
            ),
            None,
        ),
        what="the execution's row",
    )
    assert cell.text == "OrderRejected"
    screenshot(browser, "list-last-state")
    open_execution(browser, console, name)
    box = browser.find_element("css selector", "#state-details .error-box")
    head = box.find_element("css selector", ".error-head").text
    assert head.startswith("ProductNotFound: "), head
    trace = box.find_element("css selector", "details.stack-trace")
    assert trace.get_attribute("open") is None, "the stack trace starts folded"
    trace.find_element("css selector", "summary").click()
    shown = trace.find_element("css selector", "pre").text
    assert 'File "' in shown and "\\n" not in shown, shown[:200]  # lines, not an escaped string
    screenshot(browser, "error-box")
    assert page_errors(browser) == []


def test_the_start_page_proposes_the_latest_input(stack: Stack, console: Console, browser: Any) -> None:
    latest = {"orderId": f"outcome-input-{uuid.uuid4().hex[:6]}", "customerId": "c-latest", "items": []}
    sfn = stack.client("stepfunctions")
    sfn.start_execution(stateMachineArn=stack.runtime.outputs["OrderWorkflowArn"], input=json.dumps(latest))
    browser.get(console.url + "#/start")
    box = wait_for(
        browser,
        lambda d: next(
            (
                b
                for b in d.find_elements("css selector", "#start-input")
                if "c-latest" in (b.get_attribute("value") or "")
            ),
            None,
        ),
        what="the proposed input",
    )
    assert json.loads(box.get_attribute("value")) == latest
    screenshot(browser, "start-proposed")
    assert page_errors(browser) == []
