"""`orderflow cost`'s output: the three designs side by side, as a table or JSON, with assumptions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderflow.cost.calc import DESIGNS, ORDERS, SERVICES, Breakdown, SeedDesign
from orderflow.cost.collect import Measured, outcome_shares
from orderflow.cost.prices import Prices

TITLES = {"STANDARD": "STANDARD", "EXPRESS": "EXPRESS", "SEED": "single Lambda (seed)"}
JSON_PLACES = Decimal("0.0001")


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


def per_order(measured: Measured) -> dict[str, Any]:
    """The measured usage of a mean order (what the costs are made of)."""
    orders = measured.orders
    return {
        "stateTransitions": _mean([Decimal(o.transitions) for o in orders]),
        "executionMs": _mean([o.duration_ms for o in orders]),
        "workflowLambdaInvocations": _mean([Decimal(len(o.workflow_calls)) for o in orders]),
        "workflowLambdaMs": _mean(
            [sum((c.duration_ms for c in o.workflow_calls), Decimal(0)) for o in orders]
        ),
        "apiLambdaMs": _mean([sum((c.duration_ms for c in o.api_calls), Decimal(0)) for o in orders]),
        "dynamodbReadUnits": _mean([o.read_units for o in orders]),
        "dynamodbWriteUnits": _mean([o.write_units for o in orders]),
        "sqsRequests": _mean([Decimal(o.sqs_requests) for o in orders]),
        "apiRequests": _mean([Decimal(o.api_requests) for o in orders]),
        "sesMails": _mean([Decimal(o.ses_mails) for o in orders]),
        "lambdaLogBytes": _mean(
            [Decimal(sum(c.log_bytes for c in (*o.workflow_calls, *o.api_calls))) for o in orders]
        ),
        "workflowLogBytes": _mean([Decimal(o.workflow_log_bytes) for o in orders]),
    }


def assumptions(measured: Measured, prices: Prices, seed: SeedDesign) -> list[str]:
    shares = outcome_shares(measured.orders)
    mix = ", ".join(f"{share * 100:.1f}% {name}" for name, share in shares.items())
    architectures = sorted({f"{c.architecture}" for c in measured.functions.values()})
    memory = sorted({c.memory_mb for c in measured.functions.values()})
    machine = measured.state_machine.rsplit(":", 1)[-1]
    lines = [
        f"region {prices.region}: list prices read {prices.read} ({prices.currency}), "
        "first volume tier, free tier excluded",
        f"measured from {len(measured.orders)} finished executions of {machine} "
        f"(deployed as {measured.workflow_type}): {mix}",
        "DynamoDB on-demand (PAY_PER_REQUEST) request units, computed from item sizes as DynamoDB "
        "bills them; storage, backups (PITR) and TTL deletes not counted",
        f"Lambda as the template deploys it: {', '.join(architectures)}, {'/'.join(map(str, memory))} MB; "
        "one POST /orders API request and API Lambda invocation per order (GET polling not counted)",
        "EXPRESS: the same executions' durations, rounded up to 100 ms, at 64-MB chunks of estimated memory "
        "(definition + largest payload)",
        f"single Lambda (seed): one {seed.architecture} {seed.memory_mb} MB invocation per order lasting "
        "the sum of the workflow Lambdas' durations; the same DynamoDB, SQS and SES requests; "
        "no workflow logs",
        "CloudWatch Logs: ingestion only (Standard log class), the functions' lines and the workflow's "
        "log group (Level ALL with execution data); storage and X-Ray traces not counted",
        "SES: the order path sends no mail (mails go to users on sign-up)",
        *measured.notes,
    ]
    if prices.unverified:
        lines.append(f"prices not verified on a pricing page when read: {', '.join(prices.unverified)}")
    return lines


def to_json(
    measured: Measured, prices: Prices, costs: dict[str, Breakdown], seed: SeedDesign
) -> dict[str, Any]:
    return {
        "orders": ORDERS,
        "region": prices.region,
        "currency": prices.currency,
        "pricesRead": prices.read,
        "designs": {
            design: {
                "byService": {s: str(costs[design].by_service[s].quantize(JSON_PLACES)) for s in SERVICES},
                "total": str(costs[design].total.quantize(JSON_PLACES)),
            }
            for design in DESIGNS
        },
        "measured": {
            "executions": len(measured.orders),
            "stateMachine": measured.state_machine,
            "workflowType": measured.workflow_type,
            "outcomes": {
                k: str(v.quantize(Decimal("0.001"))) for k, v in outcome_shares(measured.orders).items()
            },
            "perOrder": {k: str(v.quantize(Decimal("0.01"))) for k, v in per_order(measured).items()},
            "functions": {
                name: {"memoryMB": c.memory_mb, "architecture": c.architecture}
                for name, c in sorted(measured.functions.items())
            },
        },
        "assumptions": assumptions(measured, prices, seed),
    }


def format_text(measured: Measured, prices: Prices, costs: dict[str, Breakdown], seed: SeedDesign) -> str:
    headers = ("service", *(TITLES[d] for d in DESIGNS))
    rows = [(s, *(f"{costs[d].by_service[s]:,.2f}" for d in DESIGNS)) for s in SERVICES]
    rows.append(("total", *(f"{costs[d].total:,.2f}" for d in DESIGNS)))
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    usage = per_order(measured)
    out = [
        f"What {ORDERS:,} orders cost ({prices.currency}, {prices.region} list prices read {prices.read})",
        "",
        line(headers),
        line(tuple("-" * w for w in widths)),
        *(line(r) for r in rows[:-1]),
        line(tuple("-" * w for w in widths)),
        line(rows[-1]),
        "",
        "a mean order: "
        f"{usage['stateTransitions']:.1f} state transitions, {usage['executionMs']:.0f} ms execution, "
        f"{usage['workflowLambdaInvocations']:.2f} workflow Lambda invocations "
        f"({usage['workflowLambdaMs']:.1f} ms) "
        f"+ 1 API Lambda ({usage['apiLambdaMs']:.1f} ms), {usage['dynamodbReadUnits']:.2f} RRU, "
        f"{usage['dynamodbWriteUnits']:.2f} WRU, {usage['sqsRequests']:.2f} SQS requests, "
        f"{(usage['lambdaLogBytes'] + usage['workflowLogBytes']) / 1024:.1f} KiB of logs",
        "",
        "assumptions:",
        *(f"- {a}" for a in assumptions(measured, prices, seed)),
    ]
    return "\n".join(out)
