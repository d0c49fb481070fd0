"""The web console's cost (not a test): does it slow the engine, and how fast does a big list load?

    .venv/bin/python bench/console.py [--orders 60] [--executions 1000]

Starts ``orderflow up`` (as bench/run.py does, with its console on a free port) and measures:

1. engine p50 of sequential orders (execution startDate -> stopDate) with the console closed and with
   it open in headless Chromium on the executions page, which refreshes itself every 2 s, plus an
   execution's page being re-read every second (what a page of a running execution does): the two
   interleaved in 6 blocks on the same ``up``, so both see the same machine. Target: p50s <= 5% apart.
2. the executions page with ``--executions`` executions in the state machine: browser navigation ->
   the first page's rows drawn (median of 5), and the JSON API's first page alone. Target: < 1 s.

Without chromium/chromedriver the console is "opened" by an HTTP poller doing the page's requests.
Writes bench/results/console.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import RESULTS, Up, clients, measure_engine, seed_products, stack_outputs, summary  # noqa: E402

from orderflow.api.client import ApiClient  # noqa: E402
from orderflow.ports import free_port  # noqa: E402


class HttpPoller:
    """The console's page without a browser: its requests at its cadence."""

    def __init__(self, url: str, machine: str) -> None:
        self.url, self.machine = url.rstrip("/"), machine
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def run(self) -> None:
        tick = 0
        while not self.stop.wait(1.0):
            latest = self.get("/api/executions?" + urllib.parse.urlencode({"machine": self.machine}))
            if tick % 2 == 0 and latest["executions"]:
                arn = latest["executions"][0]["executionArn"]
                self.get("/api/execution?arn=" + urllib.parse.quote(arn))
            tick += 1


def open_page(driver: Any, url: str, rows: int) -> float:
    """Navigate to the executions page; seconds until ``rows`` rows are drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    t0 = time.perf_counter()
    driver.get(url + "#/")
    WebDriverWait(driver, 30, poll_frequency=0.01).until(
        lambda d: len(d.find_elements("css selector", "a.execution-link")) >= rows
    )
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--output", type=Path, default=RESULTS / "console.json")
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="open the console with the HTTP poller only (the server's cost without Chromium's CPU)",
    )
    args = parser.parse_args()

    from tests.support.browser import chromium_missing, open_browser

    no_browser = "--no-browser" if args.no_browser else chromium_missing()
    up = Up(stack_name="bench-console", extra_args=["--console-port", str(free_port())])
    print(f"starting orderflow up (aws :{up.aws_port}, api :{up.api_port}) ...", flush=True)
    _, ready_line = up.start()
    match = re.search(r"console=(\S+)", ready_line)
    if not match:
        raise SystemExit(f"no console= on the ready line: {ready_line}")
    console_url = match.group(1)
    driver = None
    try:
        c = clients(up.endpoint)
        outputs, resources = stack_outputs(c["cloudformation"], up.stack_name)
        api_url = f"http://127.0.0.1:{up.api_port}/{outputs['ApiUrl'].rstrip('/').rsplit('/', 1)[-1]}/"
        machine = outputs["OrderWorkflowArn"]
        products = seed_products(c["dynamodb"], resources["ProductsTable"], 60, 1_000_000)
        api = ApiClient(api_url)
        measure_engine(api, c["stepfunctions"], machine, products, 0, 5)  # cold starts

        print("engine p50, console closed / open (interleaved) ...", flush=True)
        closed: list[float] = []
        opened: list[float] = []
        block = max(1, args.orders // 6)
        if not no_browser:
            driver = open_browser()
        for i in range(6):
            poller = None
            if i % 2:
                if driver is not None:
                    driver.get(console_url + "#/")  # refreshes itself every 2 s
                poller = HttpPoller(console_url, machine)  # + an execution page's reads
                poller.thread.start()
            elif driver is not None:
                driver.get("about:blank")
            samples = measure_engine(api, c["stepfunctions"], machine, products, block, 0)[
                "engine_samples_ms"
            ]
            (opened if i % 2 else closed).extend(samples)
            if poller is not None:
                poller.stop.set()
                poller.thread.join()

        print(f"starting {args.executions} executions ...", flush=True)
        sfn = c["stepfunctions"]
        existing = sum(
            len(p["executions"])
            for p in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        )
        body = json.dumps({"customerId": "bench", "items": [{"productId": products[0], "quantity": 1}]})

        def start(_: int) -> None:
            sfn.start_execution(stateMachineArn=machine, input=body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(start, range(max(0, args.executions - existing))))
        total = sum(
            len(p["executions"])
            for p in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        )

        def settled() -> bool:  # the page is timed on a quiet engine, not beside 1,000 running executions
            page = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)
            return not page["executions"]

        deadline = time.monotonic() + 600
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.5)

        api_first_page = []
        for _ in range(10):
            t0 = time.perf_counter()
            urllib.request.urlopen(
                console_url + "api/executions?" + urllib.parse.urlencode({"machine": machine}), timeout=10
            ).read()
            api_first_page.append((time.perf_counter() - t0) * 1000)
        page_load = []
        if driver is not None:
            for _ in range(5):
                driver.get("about:blank")
                page_load.append(open_page(driver, console_url, 25) * 1000)
        result = {
            "engine_ms_console_closed": summary(closed),
            "engine_ms_console_open": summary(opened),
            "engine_p50_open_vs_closed": round(statistics.median(opened) / statistics.median(closed), 3),
            "executions_in_machine": total,
            "api_first_page_ms": summary(api_first_page),
            "browser_executions_page_ms": summary(page_load) if page_load else None,
            "browser": None if no_browser else "headless chromium",
            "no_browser_reason": no_browser,
        }
    finally:
        if driver is not None:
            driver.quit()
        up.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
