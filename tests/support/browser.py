"""A real browser for the console's tests (and the console it opens, serving_console): the system's
headless Chromium driven by Selenium through the system chromedriver (``apt-get install -y chromium
chromium-driver``; ``make test`` installs them as root). Without them the browser tests skip and say so.

Screenshots go to ``test-artifacts/console/`` (gitignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from orderflow.console import Console, ConsoleSources

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
T = TypeVar("T")


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists() and shutil.which(Path(path).name) is None:
            return (
                f"{Path(path).name} is not installed: `apt-get install -y chromium chromium-driver` "
                "(make test installs it when run as root)"
            )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def open_browser(width: int = 1500, height: int = 1000) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else str(shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    driver = open_browser()
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, check: Callable[[Any], T], timeout: float = 15.0, what: str = "the page") -> T:
    """Selenium's explicit wait (it polls; no fixed sleeps). An element redrawn by the page's own
    refresh while ``check`` reads it (stale) is read again at the next poll."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )
    return wait.until(check, f"timed out waiting for {what}")


def page_errors(driver: Any) -> list[str]:
    """The page's console errors since the last call (JavaScript errors, failed loads)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


@contextmanager
def serving_console(runtime: Any) -> Iterator[Console]:
    """The web console on any free port, reading ``runtime``'s embedded AWS, outbox and queues."""
    served = Console(
        ConsoleSources(
            endpoint_url=runtime.endpoint_url,
            region=runtime.region,
            stack_name=runtime.stack_name,
            outbox=runtime.outbox,
            peek_queue=runtime.peek_queue,
        )
    )
    served.start()
    try:
        yield served
    finally:
        served.stop()
