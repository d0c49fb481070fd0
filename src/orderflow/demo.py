"""``orderflow demo``: boot template.yaml in-process and push sample traffic through it.

This is the only part of ``src/orderflow`` that knows the application (its routes, its tables,
what a confirmed order looks like); the runtime, the local API and the other commands are
generic. The sample data lives in ``demo_data/`` (products.json, orders.json, users.json).

Steps: start the runtime and the local API on free ports -> bulk-load products (batch_writer,
progress bar) -> submit orders through HTTP (one confirmed, one rejected for stock, one invalid:
refused by the API, then started directly on the workflow so that ValidateOrder rejects it)
-> create a user (welcome mail) and suspend them (notice) -> wait, by short polls with a
deadline, for every order's final status and for the mails -> print each execution's history and
the outbox. Exit 0 only if everything happened as expected; else one line says what did not.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from orderflow.api.client import ApiClient
from orderflow.arns import execution_arn
from orderflow.awsclients import client
from orderflow.errors import OrderflowError
from orderflow.history import express_history, format_history, get_history
from orderflow.loader import write_items
from orderflow.polling import wait_until
from orderflow.ports import pick_port
from orderflow.runtime import format_outbox, mails_to
from orderflow.session import LocalSession, SessionOptions

DATA = Path(__file__).resolve().parent / "demo_data"
FINAL = {"CONFIRMED", "REJECTED", "FAILED"}
EXPRESS_OUTCOMES = {201, 422, 502}  # POST /orders under EXPRESS: CONFIRMED, REJECTED, FAILED
POLL_S = 0.05
T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], deadline: float) -> T:
    """Poll ``check`` every 50 ms until it returns something truthy; WaitTimeout at the deadline."""
    return wait_until(check, timeout=max(0.0, deadline - time.monotonic()), what=what, interval=POLL_S)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _section(title: str) -> None:
    _say()
    _say(f"== {title}")


def run_demo(
    template: Path = Path("template.yaml"),
    aws_port: int | None = None,
    api_port: int | None = None,
    timeout: float = 60.0,
    on_ready: Callable[[], None] | None = None,
    parameter_overrides: dict[str, str] | None = None,
) -> int:
    if not template.is_file():
        raise OrderflowError(f"template {template} not found (see --template)")
    products = json.loads((DATA / "products.json").read_text(), parse_float=Decimal)
    orders = json.loads((DATA / "orders.json").read_text())
    users = json.loads((DATA / "users.json").read_text())

    aws_port = pick_port(aws_port, 4566)
    api_port = pick_port(api_port, 3000)
    started = time.monotonic()
    _say(f"booting {template} (embedded AWS on :{aws_port}, local API on :{api_port}) ...")
    options = SessionOptions(
        template, aws_port=aws_port, api_port=api_port, parameter_overrides=dict(parameter_overrides or {})
    )
    with LocalSession(options) as session:
        assert session.runtime is not None and session.api is not None
        if on_ready is not None:
            on_ready()
        _say(
            f"ready in {time.monotonic() - started:.1f} s  aws={session.runtime.endpoint_url}"
            f"  api={session.api.url}  ({len(session.runtime.routes)} routes)"
        )
        return _traffic(session.runtime, session.api.url, products, orders, users, timeout)


def _traffic(
    runtime: Any,
    api_url: str,
    products: list[dict[str, Any]],
    orders: list[dict[str, Any]],
    users: dict[str, Any],
    timeout: float,
) -> int:
    endpoint = runtime.endpoint_url
    api = ApiClient(api_url)
    deadline = time.monotonic() + timeout
    problems: list[str] = []

    _section(f"loading {len(products)} products")
    products_table = runtime.resources["ProductsTable"]
    # the bar only on a terminal: redirected output gets the count alone
    loaded = write_items(
        client("dynamodb", endpoint),
        products_table,
        products,
        total=len(products),
        progress=sys.stderr.isatty(),
    )
    print(f"  loaded {loaded} products", flush=True)

    _section("orders (POST /orders)")
    sfn = client("stepfunctions", endpoint)
    workflow_arn = runtime.outputs.get("OrderWorkflowArn") or runtime.resources.get("OrderWorkflow")
    submitted: list[tuple[dict[str, Any], str | None, str | None]] = []  # (spec, orderId, api verdict)
    express = (
        bool(workflow_arn) and sfn.describe_state_machine(stateMachineArn=workflow_arn)["type"] == "EXPRESS"
    )
    answered: dict[str, dict[str, Any]] = {}  # EXPRESS: POST /orders answers the outcome itself
    for spec in orders:
        status, body = api.post("/orders", spec["order"])
        if status in EXPRESS_OUTCOMES and isinstance(body, dict) and body.get("status") in FINAL:
            _say(f"  {spec['label']:<17} {status}  orderId={body['orderId']}  {body['status']}")
            answered[str(body["orderId"])] = body
            submitted.append((spec, str(body["orderId"]), None))
        elif status == 202 and isinstance(body, dict) and body.get("orderId"):
            _say(f"  {spec['label']:<17} 202  orderId={body['orderId']}")
            submitted.append((spec, str(body["orderId"]), None))
        elif status == 400:
            message = body.get("message") if isinstance(body, dict) else body
            _say(f"  {spec['label']:<17} 400  rejected by the API: {message}")
            submitted.append((spec, None, "REJECTED"))
            if workflow_arn:  # a StartExecution caller that bypasses the API: ValidateOrder decides
                direct_id = f"demo-{uuid.uuid4().hex[:12]}"
                execution_input = json.dumps({**spec["order"], "orderId": direct_id})
                if express:  # StartSyncExecution: the outcome is in its answer (not describable later)
                    run = sfn.start_sync_execution(
                        stateMachineArn=workflow_arn, name=direct_id, input=execution_input
                    )
                    answered[direct_id] = json.loads(run.get("output") or "null") or {"status": "FAILED"}
                else:
                    sfn.start_execution(stateMachineArn=workflow_arn, name=direct_id, input=execution_input)
                direct = {**spec, "label": f"{spec['label']} (direct)"}
                started_by = "StartSyncExecution" if express else "StartExecution"
                _say(f"  {direct['label']:<17} {started_by} without the API  orderId={direct_id}")
                submitted.append((direct, direct_id, None))
        else:
            problems.append(f"POST /orders ({spec['label']}) answered {status}: {body}")
            _say(f"  {spec['label']:<17} {status}  {body}")

    _section("users (POST /users, PUT /users/{userId})")
    status, created = api.post("/users", users["create"])
    user_id = created.get("userId") if isinstance(created, dict) else None
    _say(f"  create {users['create']['email']:<20} {status}  userId={user_id}")
    if status != 201 or not user_id:
        problems.append(f"POST /users answered {status}: {created}")

    def mails_for(address: str) -> list[dict[str, Any]]:
        return mails_to(runtime.outbox(), address)

    email = users["create"]["email"]
    if user_id:
        try:
            wait_for("the welcome mail", lambda: mails_for(email), deadline)
            _say(f"  welcome mail to {email} is in the outbox")
        except OrderflowError as exc:
            problems.append(str(exc))
        status, updated = api.put(f"/users/{user_id}", users["suspend"])
        _say(f"  suspend {user_id}  {status}")
        if status != 200:
            problems.append(f"PUT /users/{user_id} answered {status}: {updated}")
        try:
            wait_for("the suspension notice", lambda: len(mails_for(email)) >= 2, deadline)
            _say(f"  suspension notice to {email} is in the outbox")
        except OrderflowError as exc:
            problems.append(str(exc))

    _section(
        "order outcomes (answered by POST /orders)" if express else "order outcomes (GET /orders/{orderId})"
    )
    final: dict[str, dict[str, Any]] = {}
    for spec, order_id, verdict in submitted:
        if order_id is None:
            _say(f"  {spec['label']:<17} {verdict} at the API")
            if spec["expect"]["status"] != verdict:
                problems.append(f"order {spec['label']}: expected {spec['expect']['status']}, got {verdict}")
            continue

        def settled(order_id: str = order_id) -> dict[str, Any] | None:
            if order_id in answered:
                return answered[order_id]
            status, body = api.get(f"/orders/{order_id}")
            if status == 200 and isinstance(body, dict) and body.get("status") in FINAL:
                return body
            return None

        try:
            body = wait_for(f"order {order_id} to finish", settled, deadline)
        except OrderflowError as exc:
            problems.append(str(exc))
            continue
        final[order_id] = body
        reason = f" ({body['reason']})" if body.get("reason") else ""
        _say(f"  {spec['label']:<17} {order_id}  {body['status']}{reason}")
        expect = spec["expect"]
        if body["status"] != expect["status"] or (
            "reason" in expect and body.get("reason") not in (None, expect["reason"])
        ):
            problems.append(f"order {spec['label']}: expected {expect}, got {body['status']}{reason}")

    _section("execution histories")
    logs = client("logs", endpoint)
    for _spec, order_id, _verdict in submitted:
        if order_id is None or not workflow_arn:
            continue
        _say()
        if express:  # from the workflow's log group, as on AWS
            try:
                _say(format_history(*express_history(sfn, logs, workflow_arn, order_id, endpoint)))
            except OrderflowError as exc:
                problems.append(str(exc))
            continue
        arn = execution_arn(workflow_arn, order_id)
        description = sfn.describe_execution(executionArn=arn)
        _say(format_history(description, get_history(sfn, arn)))

    _section("outbox")
    _say(format_outbox(runtime.outbox()))

    _say()
    if problems:
        for problem in problems:
            print(f"demo: {problem}", file=sys.stderr)
        raise OrderflowError(f"{len(problems)} thing(s) did not happen as expected (first: {problems[0]})")
    _say("demo: every order, user and mail came out as expected")
    return 0
