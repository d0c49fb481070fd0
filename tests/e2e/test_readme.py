"""The API examples of the docs (docs/api.md), run as written (curl in bash) against the booted
template, after loading the shipped products the way the README's next steps say. Only the API URL
(a free port here) and the example's email address (unique per run: the stack is shared) differ from
the text. The README's own order example is checked to be one of the commands run here."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import pytest

from orderflow.cli import main
from tests.e2e.e2e_support import ROOT, Stack, eventually

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text(encoding="utf-8")
API_DOC = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def block(text: str, after_heading: str) -> str:
    """The first ```bash block after ``after_heading`` (its lines' common indent removed)."""
    start = text.index(after_heading)
    match = re.search(r"```bash\n(.*?)```", text[start:], re.S)
    assert match, after_heading
    return textwrap.dedent(match.group(1))


def api_block() -> str:
    return block(API_DOC, "# The API")


def commands(block: str) -> dict[str, str]:
    """The block's command lines (continuations joined, comments dropped), keyed by method and path."""
    joined = block.replace("\\\n", " ")
    found = {}
    for line in joined.splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line.startswith("curl "):
            continue
        method = re.search(r"-X(\w+)", line)
        path = re.search(r"\$API(/[^ \"']*)", line)
        assert path, line
        found[f"{method.group(1) if method else 'GET'} {path.group(1)}"] = line
    return found


def curl(line: str, api: str, **placeholders: str) -> tuple[int, Any]:
    for name, value in placeholders.items():
        line = line.replace(f"<{name}>", value)
    done = subprocess.run(
        ["bash", "-c", f"{line} -w '\\n%{{http_code}}'"],
        env={"API": api, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else None


def test_the_api_doc_examples_work_as_written(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    load = re.search(r"orderflow (load products \S+)", README)
    assert load, "the README shows how to load the shipped products"
    argv = [*load.group(1).split(), "--endpoint", stack.endpoint, "--stack-name", stack.runtime.stack_name]
    assert main(argv) == 0
    assert "loaded" in capsys.readouterr().out

    api = stack.api_server.url.rstrip("/")
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    lines = {key: line.replace("ada@example.com", email) for key, line in commands(api_block()).items()}

    status, user = curl(lines["POST /users"], api)
    assert status == 201 and user["email"] == email
    status, found = curl(lines["GET /users?email=ada@example.com"], api)
    assert status == 200 and [u["userId"] for u in found["items"]] == [user["userId"]]
    other = {"email": f"other-{uuid.uuid4().hex[:8]}@example.com", "name": "Other"}
    assert stack.api.post("/users", other)[0] == 201  # two users at least: a second page exists
    status, first_page = stack.api.get("/users?limit=1")  # a real cursor for the example
    assert status == 200 and first_page["nextCursor"]
    status, _ = curl(
        lines["GET /users?limit=25&cursor=<nextCursor>"], api, nextCursor=first_page["nextCursor"]
    )
    assert status == 200
    status, suspended = curl(lines["PUT /users/<userId>"], api, userId=user["userId"])
    assert status == 200 and suspended["status"] == "suspended"
    status, _ = curl(lines["DELETE /users/<userId>"], api, userId=user["userId"])
    assert status == 204

    status, accepted = curl(lines["POST /orders"], api)
    assert status == 202 and accepted["executionArn"].endswith(":" + accepted["orderId"])

    def confirmed() -> Any:
        status, order = curl(lines["GET /orders/<orderId>"], api, orderId=accepted["orderId"])
        assert status == 200
        return order if order["status"] != "PENDING" else None

    assert eventually(confirmed, what="the API doc's order to finish")["status"] == "CONFIRMED"


def test_the_api_doc_example_commands_are_all_covered() -> None:
    assert set(commands(api_block())) == {
        "POST /users",
        "GET /users?email=ada@example.com",
        "GET /users?limit=25&cursor=<nextCursor>",
        "PUT /users/<userId>",
        "DELETE /users/<userId>",
        "POST /orders",
        "GET /orders/<orderId>",
    }


def test_the_readme_order_example_is_one_the_api_test_runs() -> None:
    """The front page's "place an order" step runs the very commands the test above runs."""
    shown = commands(block(README, "**Place an order**"))
    tested = commands(api_block())
    assert set(shown) == {"POST /orders", "GET /orders/<orderId>"}
    assert all(shown[key] == tested[key] for key in shown), (shown, tested)


RUNNING_LOCALLY = (ROOT / "docs" / "running-locally.md").read_text(encoding="utf-8")


def test_no_doc_runs_the_aws_cli_without_an_endpoint_v1_would_use() -> None:
    """AWS CLI v1 ignores AWS_ENDPOINT_URL for some services: every `aws` command in a docs example
    goes through `orderflow aws` or names its --endpoint-url."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    bare = []
    for page in pages:
        for found in re.finditer(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in found.group(1).replace("\\\n", " ").splitlines():
                code = line.split("  #", 1)[0]
                for use in re.finditer(r"(?:^|[\s(])aws\s+(\S+)", code):
                    before = code[: use.start() + 1]
                    if not before.rstrip().endswith("orderflow") and use.group(1) != "--endpoint-url":
                        bare.append(f"{page.name}: {line.strip()}")
    assert bare == []


@pytest.mark.skipif(shutil.which("aws") is None, reason="no AWS CLI on this machine")
def test_the_aws_cli_examples_of_running_locally_work_as_written(stack: Stack) -> None:
    """docs/running-locally.md's AWS CLI block, run as written through `orderflow aws` with this
    machine's AWS CLI (v1 here: AWS_ENDPOINT_URL alone would not reach the runtime for SQS)."""
    text = block(RUNNING_LOCALLY, "It speaks the real AWS wire protocol").replace("\\\n", " ")
    orderflow = f"{shlex.quote(sys.executable)} -m orderflow.cli"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=stack.endpoint, AWS_DEFAULT_REGION=stack.region)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 5, text
    for line in lines:
        line = line.replace(".venv/bin/orderflow", orderflow)
        line = line.replace("--stack-name orderflow", f"--stack-name {stack.runtime.stack_name}")
        done = subprocess.run(
            ["bash", "-c", line], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, (line, done.stderr)
        assert done.stdout.strip(), line
        if "sqs list-queues" in line:
            queue = stack.runtime.resources["OrderNotificationsQueue"].rsplit("/", 1)[-1]
            urls = json.loads(done.stdout)["QueueUrls"]  # the runtime's, as it answers them
            assert any(url.startswith(stack.endpoint) and url.endswith(f"/{queue}") for url in urls), urls
