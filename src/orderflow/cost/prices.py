"""The dated list-price table shipped with orderflow (``prices.json``), loaded and checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from orderflow.errors import OrderflowError

PRICES_FILE = Path(__file__).with_name("prices.json")

# service -> the keys every region must give (each a decimal string, in the unit its name says)
REQUIRED: dict[str, tuple[str, ...]] = {
    "stepfunctions": ("standard_transitions_per_1000", "express_requests_per_million", "express_gb_second"),
    "lambda": ("requests_per_million", "gb_second_x86_64", "gb_second_arm64"),
    "dynamodb": ("write_request_units_per_million", "read_request_units_per_million"),
    "sqs": ("requests_per_million",),
    "apigateway": ("rest_requests_per_million",),
    "ses": ("mails_per_1000",),
    "logs": ("ingestion_per_gb",),
}


class PriceError(OrderflowError):
    """The price table is broken, or has no prices for the asked region (one line)."""


@dataclass(frozen=True)
class Prices:
    """One region's list prices, per unit (per transition, per request, per GB-second, ...)."""

    region: str
    read: str  # the date the prices were read
    currency: str
    sfn_transition: Decimal
    sfn_express_request: Decimal
    sfn_express_gb_second: Decimal
    lambda_request: Decimal
    lambda_gb_second: dict[str, Decimal]  # architecture (x86_64, arm64) -> price
    dynamodb_wru: Decimal
    dynamodb_rru: Decimal
    sqs_request: Decimal
    apigateway_request: Decimal
    ses_mail: Decimal
    logs_gb: Decimal
    unverified: tuple[str, ...] = ()


MILLION = Decimal(1_000_000)
THOUSAND = Decimal(1_000)


def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise PriceError(f"{where}: expected a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise PriceError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise PriceError(f"{where}: {value!r} is not a price")
    return number


def parse_prices(table: Any, region: str, source: str = "prices.json") -> Prices:
    """``region``'s prices from a parsed price table; PriceError names the first mistake."""
    if not isinstance(table, dict) or not isinstance(table.get("regions"), dict):
        raise PriceError(f"{source}: no 'regions' object")
    for key in ("read", "currency"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise PriceError(f"{source}: '{key}' missing (the date the prices were read, and their currency)")
    regions: dict[str, Any] = table["regions"]
    if region not in regions:
        known = ", ".join(sorted(regions))
        raise PriceError(f"no prices for region {region!r} in {source} (it lists {known})")
    block = regions[region]
    values: dict[str, Decimal] = {}
    for service, keys in REQUIRED.items():
        entries = block.get(service) if isinstance(block, dict) else None
        if not isinstance(entries, dict):
            raise PriceError(f"{source}: regions.{region}.{service} missing")
        for key in keys:
            where = f"{source}: regions.{region}.{service}.{key}"
            if key not in entries:
                raise PriceError(f"{where} missing")
            values[f"{service}.{key}"] = _decimal(entries[key], where)
    unverified = table.get("unverified", {}).get(region, [])
    return Prices(
        region=region,
        read=table["read"],
        currency=table["currency"],
        sfn_transition=values["stepfunctions.standard_transitions_per_1000"] / THOUSAND,
        sfn_express_request=values["stepfunctions.express_requests_per_million"] / MILLION,
        sfn_express_gb_second=values["stepfunctions.express_gb_second"],
        lambda_request=values["lambda.requests_per_million"] / MILLION,
        lambda_gb_second={
            "x86_64": values["lambda.gb_second_x86_64"],
            "arm64": values["lambda.gb_second_arm64"],
        },
        dynamodb_wru=values["dynamodb.write_request_units_per_million"] / MILLION,
        dynamodb_rru=values["dynamodb.read_request_units_per_million"] / MILLION,
        sqs_request=values["sqs.requests_per_million"] / MILLION,
        apigateway_request=values["apigateway.rest_requests_per_million"] / MILLION,
        ses_mail=values["ses.mails_per_1000"] / THOUSAND,
        logs_gb=values["logs.ingestion_per_gb"],
        unverified=tuple(str(u) for u in unverified),
    )


def load_prices(region: str, path: Path = PRICES_FILE) -> Prices:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PriceError(f"{path.name}: cannot read the price table ({exc})") from None
    return parse_prices(table, region, path.name)
