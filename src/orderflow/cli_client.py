"""The ``orderflow`` commands that talk to a running stack: ``history``, ``load``, ``outbox``,
``faults`` and ``cost`` (their flags are in :mod:`orderflow.cli`, which dispatches to them).

They import what they need when they run, and never moto, samtranslator or the runtime's start-up
(``faults set`` reads its rules file with the runtime's checker). Every bad input is an
OrderflowError, which cli.main prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orderflow.awsclients import default_endpoint, default_region, not_running
from orderflow.errors import OrderflowError


# ---------------------------------------------------------------------------- history / load / outbox
def cmd_history(args: argparse.Namespace) -> int:
    from orderflow.history import show_history

    endpoint = args.endpoint or default_endpoint()
    region = args.region or default_region()
    print(show_history(args.ref, endpoint, args.stack_name, region, as_json=args.json), flush=True)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from orderflow.awsclients import resource
    from orderflow.loader import key_schema, read_items, resolve_table, write_items

    endpoint = args.endpoint or default_endpoint()
    region = args.region or default_region()
    path: Path = args.file
    if not path.is_file():  # checked before contacting anything
        raise OrderflowError(f"{path}: no such file")
    logical, physical = resolve_table(args.table, endpoint, args.stack_name, region)
    items = read_items(path, key_schema(endpoint, physical, region))
    table = resource("dynamodb", endpoint, region).Table(physical)
    # the progress bar only on a terminal: redirected output gets the result line alone
    progress = not args.no_progress and sys.stderr.isatty()
    count = write_items(table, items, total=len(items), progress=progress)
    print(f"loaded {count} item{'' if count == 1 else 's'} into {physical} ({logical})")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    import botocore.exceptions
    import requests

    from orderflow.runtime.outbox import fetch_outbox, format_outbox

    endpoint = args.endpoint or default_endpoint()
    try:
        mails = list(fetch_outbox(endpoint))
    except (
        ConnectionError,
        OSError,
        requests.exceptions.ConnectionError,
        botocore.exceptions.EndpointConnectionError,
    ):
        raise not_running(endpoint) from None
    if args.json:
        print(json.dumps(mails, indent=2, default=str))
    else:
        print(format_outbox(mails))
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    import requests

    from orderflow.runtime.browser_guard import ADMIN_TOKEN_HEADER
    from orderflow.runtime.config import load_fault_rules
    from orderflow.runtime.faults import format_snapshot

    endpoint = (args.endpoint or default_endpoint()).rstrip("/")
    url = f"{endpoint}/_orderflow/faults"
    headers = {}
    body = None
    if args.action == "set":
        if args.file is None:
            raise OrderflowError("set needs a FILE of rules (YAML or JSON)")
        load_fault_rules(args.file)  # checked here first: the mistakes name the file
        body = args.file.read_bytes()
    if args.action != "show":
        state_dir = args.state_dir or Path(".orderflow") / args.stack_name
        token_path = state_dir / "admin-token"
        try:
            headers[ADMIN_TOKEN_HEADER] = token_path.read_text(encoding="utf-8").strip()
        except OSError:
            raise OrderflowError(
                f"no admin token at {token_path} (see --state-dir; is `orderflow up` running?)"
            ) from None
    method = {"show": "GET", "set": "PUT", "clear": "DELETE"}[args.action]
    try:
        response = requests.request(method, url, data=body, headers=headers, timeout=30)
    except requests.exceptions.ConnectionError:
        raise not_running(endpoint) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {"message": response.text[:200]}
    if response.status_code != 200:
        lines = answer.get("errors") or [answer.get("message") or f"HTTP {response.status_code}"]
        raise OrderflowError("\n".join(lines))
    print(json.dumps(answer, indent=2) if args.json else format_snapshot(answer))
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from orderflow.cost.calc import SeedDesign, cost_per_orders
    from orderflow.cost.collect import collect
    from orderflow.cost.prices import load_prices
    from orderflow.cost.report import format_text, to_json

    endpoint = args.endpoint or default_endpoint()
    region = args.region or default_region()
    prices = load_prices(args.price_region or region)  # an unknown region: refused before asking the stack
    template: Path = args.template
    logs_dir = template.resolve().parent / ".orderflow" / args.stack_name / "logs"
    measured = collect(endpoint, args.stack_name, region, logs_dir, limit=args.limit)
    seed = SeedDesign()
    costs = cost_per_orders(measured.orders, measured.functions, prices, seed)
    if args.json:
        print(json.dumps(to_json(measured, prices, costs, seed), indent=2))
    else:
        print(format_text(measured, prices, costs, seed))
    return 0
