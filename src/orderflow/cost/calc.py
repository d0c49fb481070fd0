"""What an order costs: measured usage x list prices, per 1,000,000 orders. Pure: no AWS, no I/O.

Three designs priced from the same measured orders:

- ``STANDARD``: the workflow as deployed with WorkflowType=STANDARD: state transitions (retries
  included) + every Lambda invocation + the API's Lambda + DynamoDB + SQS + API Gateway + logs
  (the functions' and the workflow's log group).
- ``EXPRESS``: the same executions priced as Express: one request per execution and its duration
  rounded up to 100 ms at the billed memory (64-MB chunks); everything else as STANDARD.
- ``SEED``: the seed article's single order Lambda (API Gateway -> one function that validates,
  checks stock, writes and notifies): one API request, one invocation per order whose duration is
  the sum of the workflow Lambdas' durations of that order (no API Lambda, no workflow), the same
  DynamoDB, SQS and SES requests, the workflow Lambdas' log lines (no workflow log group).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from orderflow.cost.prices import Prices

ORDERS = 1_000_000
SERVICES = (
    "Step Functions",
    "Lambda requests",
    "Lambda compute",
    "DynamoDB",
    "SQS",
    "API Gateway",
    "SES",
    "CloudWatch Logs",
)
DESIGNS = ("STANDARD", "EXPRESS", "SEED")
EXPRESS_MEMORY_CHUNK_MB = 64
EXPRESS_DURATION_STEP_MS = 100
GB_BYTES = 1024**3
MB_PER_GB = Decimal(1024)


@dataclass(frozen=True)
class FunctionConfig:
    memory_mb: int
    architecture: str  # x86_64 | arm64


@dataclass(frozen=True)
class LambdaCall:
    """One invocation: which function, how long it ran (ms, as Lambda measures it), log bytes."""

    function: str
    duration_ms: Decimal
    log_bytes: int = 0


@dataclass(frozen=True)
class OrderUsage:
    """What one order (one execution, and the API request that started it) used."""

    outcome: str  # CONFIRMED | REJECTED | FAILED
    transitions: int  # states entered + retries (what Standard bills)
    duration_ms: Decimal  # execution start to stop (what Express bills)
    workflow_calls: tuple[LambdaCall, ...]  # the workflow's Lambda invocations, retries included
    api_calls: tuple[LambdaCall, ...] = ()  # the API's Lambda (POST /orders)
    api_requests: int = 1
    read_units: Decimal = Decimal(0)  # DynamoDB RRU
    write_units: Decimal = Decimal(0)  # DynamoDB WRU
    sqs_requests: int = 0
    ses_mails: int = 0
    workflow_log_bytes: int = 0  # the state machine's log group (Level ALL)
    express_memory_mb: int = EXPRESS_MEMORY_CHUNK_MB


@dataclass(frozen=True)
class SeedDesign:
    """The seed article's single order Lambda: `--memory-size 256`, no architecture given (x86_64)."""

    memory_mb: int = 256
    architecture: str = "x86_64"


@dataclass
class Breakdown:
    """Cost per ORDERS orders by service, for one design."""

    design: str
    by_service: dict[str, Decimal] = field(default_factory=lambda: {s: Decimal(0) for s in SERVICES})

    @property
    def total(self) -> Decimal:
        return sum(self.by_service.values(), Decimal(0))


def billed_lambda_ms(duration_ms: Decimal) -> int:
    """Lambda bills duration rounded up to the next 1 ms."""
    return int(duration_ms.to_integral_value(rounding=ROUND_CEILING))


def billed_express_ms(duration_ms: Decimal) -> int:
    """Express bills duration rounded up to the next 100 ms."""
    steps = (duration_ms / EXPRESS_DURATION_STEP_MS).to_integral_value(rounding=ROUND_CEILING)
    return max(1, int(steps)) * EXPRESS_DURATION_STEP_MS


def billed_express_mb(memory_mb: int) -> int:
    """Express bills memory in 64-MB chunks (at least one)."""
    return max(1, math.ceil(memory_mb / EXPRESS_MEMORY_CHUNK_MB)) * EXPRESS_MEMORY_CHUNK_MB


def lambda_cost(
    calls: Sequence[LambdaCall], functions: dict[str, FunctionConfig], prices: Prices
) -> tuple[Decimal, Decimal]:
    """(requests, compute) of these invocations."""
    requests = prices.lambda_request * len(calls)
    compute = Decimal(0)
    for call in calls:
        config = functions[call.function]
        gb_seconds = (
            Decimal(config.memory_mb) / MB_PER_GB * Decimal(billed_lambda_ms(call.duration_ms)) / 1000
        )
        compute += gb_seconds * prices.lambda_gb_second[config.architecture]
    return requests, compute


def order_cost(
    order: OrderUsage,
    design: str,
    functions: dict[str, FunctionConfig],
    prices: Prices,
    seed: SeedDesign = SeedDesign(),
) -> dict[str, Decimal]:
    """One order's cost by service under ``design``."""
    cost = {s: Decimal(0) for s in SERVICES}
    log_bytes = sum(c.log_bytes for c in order.workflow_calls)
    if design == "SEED":
        one = LambdaCall("seed", sum((c.duration_ms for c in order.workflow_calls), Decimal(0)))
        requests, compute = lambda_cost(
            [one], {"seed": FunctionConfig(seed.memory_mb, seed.architecture)}, prices
        )
    else:
        calls = [*order.api_calls, *order.workflow_calls]
        requests, compute = lambda_cost(calls, functions, prices)
        log_bytes += sum(c.log_bytes for c in order.api_calls) + order.workflow_log_bytes
        if design == "STANDARD":
            cost["Step Functions"] = prices.sfn_transition * order.transitions
        elif design == "EXPRESS":
            gb = Decimal(billed_express_mb(order.express_memory_mb)) / MB_PER_GB
            seconds = Decimal(billed_express_ms(order.duration_ms)) / 1000
            cost["Step Functions"] = prices.sfn_express_request + gb * seconds * prices.sfn_express_gb_second
        else:
            raise ValueError(f"unknown design {design!r}")
    cost["Lambda requests"] = requests
    cost["Lambda compute"] = compute
    cost["DynamoDB"] = order.write_units * prices.dynamodb_wru + order.read_units * prices.dynamodb_rru
    cost["SQS"] = prices.sqs_request * order.sqs_requests
    cost["API Gateway"] = prices.apigateway_request * order.api_requests
    cost["SES"] = prices.ses_mail * order.ses_mails
    cost["CloudWatch Logs"] = Decimal(log_bytes) / GB_BYTES * prices.logs_gb
    return cost


def cost_per_orders(
    orders: Sequence[OrderUsage],
    functions: dict[str, FunctionConfig],
    prices: Prices,
    seed: SeedDesign = SeedDesign(),
    per: int = ORDERS,
) -> dict[str, Breakdown]:
    """Each design's cost of ``per`` orders with the measured orders' mix (their mean, times ``per``)."""
    if not orders:
        raise ValueError("no orders to price")
    result = {}
    for design in DESIGNS:
        breakdown = Breakdown(design)
        for order in orders:
            for service, value in order_cost(order, design, functions, prices, seed).items():
                breakdown.by_service[service] += value
        for service in SERVICES:
            breakdown.by_service[service] = breakdown.by_service[service] * per / len(orders)
        result[design] = breakdown
    return result
