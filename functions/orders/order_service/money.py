"""Money is ``Decimal`` end to end, and every operation on it is exact.

Arithmetic runs in DynamoDB's own number context (38 significant digits) with ``Inexact`` and
``Rounded`` trapped: a total that cannot be represented exactly raises instead of being rounded.

On the wire (Step Functions payloads, SQS bodies, API responses) money is a decimal *string*:
Lambda serialises its result with ``json``, which has no Decimal, and a JSON number would be read back
as a float by most consumers. Amounts are written with at least two decimals (``"12.50"``) and never
rounded (``"0.125"`` stays ``"0.125"``).
"""

from collections.abc import Iterable
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, Rounded, Underflow, localcontext
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator

EXACT = Context(Emin=-128, Emax=126, prec=38, traps=[InvalidOperation, Overflow, Underflow, Inexact, Rounded])
CENT = Decimal("0.01")


def parse_money(value: Any) -> Decimal:
    """A non-negative finite amount from a Decimal, an int or a decimal string; never from a float."""
    if isinstance(value, bool | float):
        raise ValueError("money must be a decimal string, not a JSON float")
    if isinstance(value, int | str):
        try:
            value = Decimal(value) if isinstance(value, int) else Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None
    if not isinstance(value, Decimal):
        raise ValueError("money must be a decimal string")
    if not value.is_finite() or value < 0:
        raise ValueError("money must be a finite amount >= 0")
    return value


def format_money(value: Decimal) -> str:
    """``Decimal("12.5")`` -> ``"12.50"``; ``Decimal("0.125")`` -> ``"0.125"``; no exponent notation."""
    with localcontext(EXACT):
        value = value.normalize()
        if int(value.as_tuple().exponent) > -2:
            value = value.quantize(CENT)
    return format(value, "f")


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    with localcontext(EXACT):
        return unit_price * quantity


def total(amounts: Iterable[Decimal]) -> Decimal:
    with localcontext(EXACT):
        return sum(amounts, Decimal(0))


# A pydantic field type: Decimal in Python (and DynamoDB), a decimal string in JSON.
Money = Annotated[
    Decimal,
    PlainValidator(parse_money),
    PlainSerializer(format_money, return_type=str, when_used="json"),
]
