"""Money: Decimal in, decimal strings out, no float and no rounding anywhere."""

from decimal import Decimal, Inexact, Rounded

import pytest
from order_service.models import PricedLine
from order_service.money import format_money, line_total, parse_money, total


@pytest.mark.parametrize(
    ("amount", "text"),
    [("12.5", "12.50"), ("59.970", "59.97"), ("0.125", "0.125"), ("1E+1", "10.00"), ("0", "0.00")],
)
def test_money_is_written_with_at_least_two_decimals_and_never_rounded(amount, text):
    assert format_money(Decimal(amount)) == text


def test_three_times_19_99_is_exactly_59_97():
    assert line_total(Decimal("19.99"), 3) == Decimal("59.97")
    assert total([Decimal("0.1")] * 3) == Decimal("0.3")  # 0.1 + 0.1 + 0.1 != 0.3 in float


def test_arithmetic_that_would_round_raises_instead():
    with pytest.raises((Inexact, Rounded)):
        line_total(Decimal("9." + "9" * 37), 7)  # 39 significant digits


@pytest.mark.parametrize("value", [1.5, True, "abc", "-1", "NaN", "Infinity", None])
def test_parse_money_rejects_floats_negative_and_non_numbers(value):
    with pytest.raises(ValueError):
        parse_money(value)


def test_a_model_keeps_decimal_in_python_and_strings_in_json():
    line = PricedLine(productId="p", name="P", quantity=3, unitPrice="19.99", lineTotal="59.97")
    assert line.model_dump()["unitPrice"] == Decimal("19.99")
    assert line.model_dump(mode="json")["lineTotal"] == "59.97"
