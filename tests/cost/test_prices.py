"""The shipped price table: every listed region loads complete; mistakes are one clear line."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderflow.cost.prices import PRICES_FILE, PriceError, load_prices, parse_prices


def table() -> dict[str, Any]:
    return dict(json.loads(PRICES_FILE.read_text()))


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_shipped_regions_load(region: str) -> None:
    prices = load_prices(region)
    assert prices.region == region and prices.currency == "USD"
    assert prices.read == table()["read"]
    assert set(prices.lambda_gb_second) == {"x86_64", "arm64"}


def test_units_are_converted_to_per_unit_prices() -> None:
    prices = load_prices("us-east-1")
    assert prices.sfn_transition == Decimal("0.025") / 1000
    assert prices.lambda_request == Decimal("0.20") / 1_000_000
    assert prices.dynamodb_wru == Decimal("0.625") / 1_000_000
    assert prices.ses_mail == Decimal("0.10") / 1000


def test_the_file_says_where_and_when_prices_were_read() -> None:
    data = table()
    assert data["read"] and set(data["sources"]) >= {"stepfunctions", "lambda", "dynamodb", "logs"}
    for region, keys in data["unverified"].items():
        assert region in data["regions"]
        for key in keys:
            service, name = key.split(".")
            assert name in data["regions"][region][service], key


def test_unknown_region_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(PriceError) as info:
        load_prices("ap-south-1")
    message = str(info.value)
    assert "\n" not in message
    assert "'ap-south-1'" in message and "eu-west-1, us-east-1" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t["regions"]["us-east-1"]["sqs"].pop("requests_per_million"),
            "sqs.requests_per_million missing",
        ),
        (lambda t: t["regions"]["us-east-1"].pop("lambda"), "regions.us-east-1.lambda missing"),
        (lambda t: t["regions"]["us-east-1"]["ses"].update(mails_per_1000="ten"), "'ten' is not a number"),
        (lambda t: t["regions"]["us-east-1"]["ses"].update(mails_per_1000=0.1), "expected a decimal string"),
        (lambda t: t["regions"]["us-east-1"]["logs"].update(ingestion_per_gb="-1"), "is not a price"),
        (lambda t: t.pop("read"), "'read' missing"),
    ],
)
def test_broken_tables_name_the_mistake(change: Any, expected: str) -> None:
    broken = copy.deepcopy(table())
    change(broken)
    with pytest.raises(PriceError, match=expected):
        parse_prices(broken, "us-east-1")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text("{not json")
    with pytest.raises(PriceError, match="cannot read the price table"):
        load_prices("us-east-1", bad)
