"""DynamoDB request units from item sizes, as DynamoDB bills them (sizes worked out by hand)."""

from __future__ import annotations

from decimal import Decimal

from orderflow.cost.capacity import item_size, number_size, read_units, write_units


def test_number_sizes() -> None:
    # one byte per two significant digits, plus one; leading and trailing zeros do not count
    assert number_size("120") == 2  # "12"
    assert number_size("24.90") == 3  # "249"
    assert number_size("0") == 2
    assert number_size("-1234567") == 5  # 7 digits -> 4 bytes + 1


def test_product_item_size() -> None:
    item = {
        "productId": {"S": "p-moka-pot"},  # 9 + 10
        "name": {"S": "Moka pot"},  # 4 + 8
        "price": {"N": "24.90"},  # 5 + 3
        "stock": {"N": "120"},  # 5 + 2
    }
    assert item_size(item) == 19 + 12 + 8 + 7


def test_nested_values() -> None:
    # a list: 3 bytes + per element its size + 1; a map: 3 bytes + per entry key + value + 1
    line = {"M": {"productId": {"S": "p-1"}, "quantity": {"N": "2"}}}  # 3 + (9+3+1) + (8+2+1)
    assert item_size({"items": {"L": [line]}}) == 5 + 3 + (3 + 13 + 11) + 1
    assert item_size({"ok": {"BOOL": True}, "none": {"NULL": True}}) == 3 + 5


def test_units() -> None:
    assert write_units(46) == 1 and write_units(1024) == 1 and write_units(1025) == 2
    assert write_units(46, transactional=True) == 2 and write_units(2049, transactional=True) == 6
    assert read_units(46) == 1 and read_units(4097) == 2
    assert read_units(46, strongly_consistent=False) == Decimal("0.5")
    assert read_units(46, transactional=True) == 2
