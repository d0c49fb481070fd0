"""Property-based tests (Hypothesis) of the order request model, money arithmetic and strict JSON."""

import contextlib
import json
from decimal import Decimal, localcontext

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from order_service import money
from order_service.errors import ValidationError
from order_service.logic.check_stock import check_stock
from order_service.logic.validation import merge_items
from order_service.models import MAX_ITEMS, MAX_QUANTITY, OrderRequest, Product, ValidatedOrder
from orderflow_common.strict_json import check_request_body, strict_loads

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

identifiers = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
order_ids = st.from_regex(r"\A[A-Za-z0-9_-]{1,80}\Z")
lines = st.lists(
    st.fixed_dictionaries(
        {"productId": st.sampled_from(["p-1", "p-2", "p-3", "p-4"]), "quantity": st.integers(1, 2_000)}
    ),
    min_size=1,
    max_size=MAX_ITEMS,
)
bodies = st.fixed_dictionaries({"customerId": identifiers, "items": lines}, optional={"orderId": order_ids})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# amounts DynamoDB holds exactly: up to 38 significant digits, cents or finer
amounts = st.decimals(min_value=0, max_value=Decimal("1e12"), places=4, allow_nan=False, allow_infinity=False)


def _units(items: list[dict]) -> dict[str, int]:
    units: dict[str, int] = {}
    for item in items:
        units[item["productId"]] = units.get(item["productId"], 0) + item["quantity"]
    return units


@SETTINGS
@given(bodies)
def test_a_request_is_accepted_exactly_when_every_product_stays_within_the_bound(body):
    within = all(quantity <= MAX_QUANTITY for quantity in _units(body["items"]).values())
    try:
        request = OrderRequest.model_validate(body)
    except pydantic.ValidationError as exc:
        assert not within
        assert f"at most {MAX_QUANTITY} units per product" in str(exc)
        return
    assert within
    # the execution input round-trips through JSON unchanged
    assert OrderRequest.model_validate_json(request.model_dump_json()) == request
    merged = merge_items(request.items)
    assert {item.productId: item.quantity for item in merged} == _units(body["items"])


@SETTINGS
@given(json_values)
def test_any_json_value_is_a_request_or_a_pydantic_validation_error(value):
    with contextlib.suppress(pydantic.ValidationError):
        OrderRequest.model_validate(value)


@SETTINGS
@given(st.integers(min_value=MAX_QUANTITY + 1, max_value=10**40))
def test_quantities_over_the_bound_are_refused_whatever_their_size(quantity):
    with pytest.raises(pydantic.ValidationError):
        OrderRequest.model_validate({"customerId": "c", "items": [{"productId": "p", "quantity": quantity}]})


@SETTINGS
@given(amounts)
def test_money_formats_and_parses_back_to_the_same_amount(amount):
    text = money.format_money(amount)
    assert "E" not in text and "e" not in text
    assert len(text.partition(".")[2]) >= 2
    assert money.parse_money(text) == amount


@SETTINGS
@given(amounts, st.integers(1, MAX_QUANTITY))
def test_a_line_total_is_the_exact_product(price, quantity):
    with localcontext(prec=100):
        assert money.line_total(price, quantity) == price * quantity


@SETTINGS
@given(st.lists(amounts, max_size=MAX_ITEMS))
def test_a_total_does_not_depend_on_the_order_of_its_lines(values):
    assert money.total(values) == money.total(reversed(values)) == money.total(sorted(values))


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True) | st.booleans())
def test_money_never_comes_from_a_float_or_a_boolean(value):
    with pytest.raises(ValueError, match="not a JSON float"):
        money.parse_money(value)


class OneProduct:
    def __init__(self, price: Decimal, stock: int) -> None:
        self.product = Product(productId="p", name="P", price=price, stock=stock)

    def get_products(self, product_ids: list[str]) -> dict[str, Product]:
        return {"p": self.product}


@SETTINGS
@given(
    st.decimals(
        min_value=Decimal("0.01"), max_value=Decimal("9" * 38), allow_nan=False, allow_infinity=False
    ),
    st.integers(1, MAX_QUANTITY),
)
def test_check_stock_prices_exactly_or_rejects_as_validation_error_never_an_arithmetic_crash(price, quantity):
    order = ValidatedOrder(orderId="o", customerId="c", items=[{"productId": "p", "quantity": quantity}])
    try:
        priced = check_stock(order, OneProduct(price, stock=MAX_QUANTITY))
    except ValidationError as exc:
        assert "cannot be represented exactly" in str(exc)
        return
    with localcontext(prec=100):
        assert priced.totalAmount == price * quantity
    assert len(priced.totalAmount.as_tuple().digits) <= 38


@SETTINGS
@given(json_values)
def test_strict_json_reads_back_what_json_writes(value):
    text = json.dumps(value)
    try:
        parsed = strict_loads(text)
    except json.JSONDecodeError as exc:  # only the documented limits
        assert any(reason in exc.msg for reason in ("digits", "nested deeper", "longer than"))
        return
    assert parsed == value


@SETTINGS
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_strict_json_on_any_bytes_parses_or_says_why(data):
    try:
        strict_loads(data)
    except json.JSONDecodeError as exc:
        assert exc.msg


@SETTINGS
@given(
    body=st.none() | st.text(max_size=100),
    content_type=st.none() | st.text(max_size=40) | st.sampled_from(["application/json", "Application/Json"]),
)
def test_check_request_body_never_raises(body, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    problem, value = check_request_body({"httpMethod": "POST", "headers": headers, "body": body})
    assert (problem is None) == isinstance(value, dict)
    if problem is not None:
        assert 400 <= problem.status < 500 and problem.message
