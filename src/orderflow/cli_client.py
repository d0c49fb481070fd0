"""The ``orderflow`` commands that talk to a running stack: ``history``, ``load``, ``outbox``,
``faults`` and ``cost`` (their flags are in :mod:`orderflow.cli`, which dispatches to them).

Each finds the runtime with :func:`orderflow.discovery.resolve` (``--endpoint`` > ``$AWS_ENDPOINT_URL``
> the discovery record ``orderflow up`` writes > the default) and talks to it over its endpoint only:
none imports moto or the runtime (``orderflow.runtime``), boto3 only those that use AWS APIs
(tests/cli/test_client_imports.py counts it). Every bad input is a OrderflowError.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orderflow.awsclients import default_region
from orderflow.discovery import Target
from orderflow.errors import OrderflowError


def target(args: argparse.Namespace, base: Path | None = None) -> Target:
    """The running runtime this command talks to (OrderflowError naming every endpoint tried)."""
    from orderflow.discovery import resolve

    return resolve(
        getattr(args, "endpoint", None),
        getattr(args, "stack_name", None),
        getattr(args, "state_dir", None),
        base=base,
    )


def region_of(args: argparse.Namespace, found: Target) -> str:
    """--region, else the region the discovered runtime runs in, else the AWS CLI's rule."""
    return str(getattr(args, "region", None) or found.region or default_region())


# ---------------------------------------------------------------------------- history / load / outbox
def cmd_history(args: argparse.Namespace) -> int:
    from orderflow.history import show_history

    found = target(args)
    region = region_of(args, found)
    print(show_history(args.ref, found.endpoint, found.stack_name, region, as_json=args.json), flush=True)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from orderflow.awsclients import client
    from orderflow.loader import key_schema, read_items, resolve_table, write_items

    path: Path = args.file
    if not path.is_file():  # checked before contacting anything
        raise OrderflowError(f"{path}: no such file")
    found = target(args)
    endpoint, region = found.endpoint, region_of(args, found)
    logical, physical = resolve_table(args.table, endpoint, found.stack_name, region)
    ddb = client("dynamodb", endpoint, region, max_attempts=3)
    items = read_items(path, key_schema(ddb, physical))
    # the progress bar only on a terminal: redirected output gets the result line alone
    progress = not args.no_progress and sys.stderr.isatty()
    count = write_items(ddb, physical, items, total=len(items), progress=progress)
    print(f"loaded {count} item{'' if count == 1 else 's'} into {physical} ({logical})")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from orderflow.outbox import fetch_outbox, format_outbox

    found = target(args)
    try:
        mails = list(fetch_outbox(found.endpoint))
    except (ConnectionError, OSError, ValueError):
        raise OrderflowError(f"no orderflow runtime at {found.endpoint} ({found.source})") from None
    if args.json:
        print(json.dumps(mails, indent=2, default=str))
    else:
        print(format_outbox(mails))
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    from orderflow.discovery import ADMIN_TOKEN_HEADER

    body = None
    if args.action == "set":
        if args.file is None:
            raise OrderflowError("set needs a FILE of rules (YAML or JSON)")
        try:  # checked by the runtime, which says each mistake: they name the file here
            body = args.file.read_bytes()
        except FileNotFoundError:
            raise OrderflowError(f"{args.file}: no such file") from None
        except OSError as exc:
            raise OrderflowError(f"{args.file}: cannot read it ({exc.strerror})") from None
    found = target(args)
    headers = {"Content-Type": "application/yaml"} if body is not None else {}
    if args.action != "show":
        token_path = found.admin_token_path()
        try:
            headers[ADMIN_TOKEN_HEADER] = token_path.read_text(encoding="utf-8").strip()
        except OSError:
            raise OrderflowError(
                f"no admin token at {token_path} (see --state-dir; is `orderflow up` running?)"
            ) from None
    method = {"show": "GET", "set": "PUT", "clear": "DELETE"}[args.action]
    url = f"{found.endpoint}/_orderflow/faults"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) endpoint
            status, text = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    except (OSError, ValueError):
        raise OrderflowError(f"no orderflow runtime at {found.endpoint} ({found.source})") from None
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {"message": text[:200].decode("utf-8", "replace")}
    if status != 200:
        lines = answer.get("errors") or [answer.get("message") or f"HTTP {status}"]
        if args.action == "set":  # the runtime names the document "rules": here it is the file
            lines = [f"{args.file}: {line.removeprefix('rules: ')}" for line in lines]
        raise OrderflowError("\n".join(lines))
    for warning in answer.pop("warnings", None) or []:
        print(f"orderflow faults: warning: {warning}", file=sys.stderr)
    print(json.dumps(answer, indent=2) if args.json else format_snapshot(answer))
    return 0


def format_snapshot(snapshot: Mapping[str, Any], width: int | None = None) -> str:
    """The rules and counters of ``GET /_orderflow/faults`` as a table that fits ``width`` columns
    (default the terminal's, $COLUMNS, else 100): the error column wraps onto further lines, nothing
    is cut; each rule's operations and resources follow on a line of their own."""
    rules = snapshot.get("rules") or []
    if not rules:
        return "no fault rules"
    width = max(width or shutil.get_terminal_size((100, 24)).columns, 72)
    service_w = max(len("service"), *(len(r["service"]) for r in rules))
    numbers = f" {'p':>5} {'latency':>8} {'matched':>8} {'injected':>8}"
    spare = width - service_w - len(numbers) - 2  # for the rule's name and its error
    longest = max(len(word) for r in rules for word in _error_text(r).split())
    # names wrap (at hyphens too) before an error code has to be broken
    name_w = min(max(len("rule"), *(len(r["name"]) for r in rules)), 24, max(8, spare - longest))
    error_w = spare - name_w
    lines = [
        f"seed {snapshot.get('seed')}",
        f"{'rule':<{name_w}} {'service':<{service_w}} {'error':<{error_w}}{numbers}",
    ]
    for rule in rules:
        names = textwrap.wrap(rule["name"], name_w) or [""]
        errors = textwrap.wrap(_error_text(rule), error_w, break_on_hyphens=False) or [""]
        counts = f" {rule['probability']:>5.2f} {rule['latency_ms']:>6.0f}ms"
        counts += f" {rule['matched']:>8} {rule['injected']:>8}"
        for i in range(max(len(names), len(errors))):
            name = names[i] if i < len(names) else ""
            service = rule["service"] if i == 0 else ""
            cell = errors[i] if i < len(errors) else ""
            line = f"{name:<{name_w}} {service:<{service_w}} {cell:<{error_w}}" + (counts if i == 0 else "")
            lines.append(line.rstrip())
        where = []
        if rule["operations"]:
            where.append("operations " + ", ".join(rule["operations"]))
        if rule["resources"]:
            where.append("resources " + ", ".join(rule["resources"]))
        if where:
            indent = " " * (name_w + 1)
            lines += textwrap.wrap(
                "; ".join(where), width, initial_indent=indent, subsequent_indent=indent + "  "
            )
    return "\n".join(lines)


def _error_text(rule: Mapping[str, Any]) -> str:
    return f"{rule['error']['code']} ({rule['error']['status']})" if rule["error"] else "-"


def cmd_cost(args: argparse.Namespace) -> int:
    from orderflow.cost.calc import SeedDesign, cost_per_orders
    from orderflow.cost.collect import collect
    from orderflow.cost.prices import load_prices
    from orderflow.cost.report import format_text, to_json

    template: Path = args.template
    base = template.resolve().parent
    # an unknown region (PriceError) is refused before asking the stack anything
    if args.price_region or args.region:
        load_prices(args.price_region or args.region)
    found = target(args, base)
    region = region_of(args, found)
    prices = load_prices(args.price_region or region)
    logs_dir = (found.state_dir or base / ".orderflow" / found.stack_name) / "logs"
    measured = collect(found.endpoint, found.stack_name, region, logs_dir, limit=args.limit)
    seed = SeedDesign()
    costs = cost_per_orders(measured.orders, measured.functions, prices, seed)
    if args.json:
        print(json.dumps(to_json(measured, prices, costs, seed), indent=2))
    else:
        print(format_text(measured, prices, costs, seed))
    return 0
