"""`orderflow cost`'s pure calculation: two fixed orders priced by hand, service by service.

Round prices (close to us-east-1's) keep the arithmetic readable; every expected figure below is
written out from the pricing rules, not taken from the command's output.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from orderflow.cost.calc import (
    DESIGNS,
    FunctionConfig,
    LambdaCall,
    OrderUsage,
    SeedDesign,
    billed_express_mb,
    billed_express_ms,
    billed_lambda_ms,
    cost_per_orders,
)
from orderflow.cost.prices import Prices

PRICES = Prices(
    region="test-1",
    read="2026-12-01",
    currency="USD",
    sfn_transition=D("0.000025"),  # $0.025 per 1,000 transitions
    sfn_express_request=D("0.000001"),  # $1.00 per million requests
    sfn_express_gb_second=D("0.00001667"),
    lambda_request=D("0.0000002"),  # $0.20 per million
    lambda_gb_second={"x86_64": D("0.0000166667"), "arm64": D("0.0000133334")},
    dynamodb_wru=D("0.000000625"),  # $0.625 per million
    dynamodb_rru=D("0.000000125"),  # $0.125 per million
    sqs_request=D("0.0000004"),  # $0.40 per million
    apigateway_request=D("0.0000035"),  # $3.50 per million
    ses_mail=D("0.0001"),  # $0.10 per 1,000
    logs_gb=D("0.50"),
)
FUNCTIONS = {
    "Api": FunctionConfig(128, "x86_64"),
    "A": FunctionConfig(256, "x86_64"),
    "B": FunctionConfig(512, "arm64"),
}
CONFIRMED = OrderUsage(
    outcome="CONFIRMED",
    transitions=7,
    duration_ms=D("250.5"),
    workflow_calls=(LambdaCall("A", D("10.2"), 1024), LambdaCall("B", D("20"), 2048)),
    api_calls=(LambdaCall("Api", D("5.5"), 512),),
    read_units=D(2),
    write_units=D(8),
    sqs_requests=1,
    ses_mails=1,
    workflow_log_bytes=4096,
)
REJECTED = OrderUsage(
    outcome="REJECTED",
    transitions=3,
    duration_ms=D("99"),
    workflow_calls=(LambdaCall("A", D("3.1"), 1024),),
    api_calls=(LambdaCall("Api", D("5.5"), 512),),
    read_units=D(1),
    workflow_log_bytes=2048,
)
# a million orders of this two-order mix: each order's cost times 1,000,000 / 2
HALF_MILLION = 500_000
GIB = D(2**30)


@pytest.fixture(scope="module")
def costs() -> dict[str, dict[str, D]]:
    result = cost_per_orders([CONFIRMED, REJECTED], FUNCTIONS, PRICES, SeedDesign(256, "x86_64"))
    return {design: result[design].by_service for design in DESIGNS}


def test_rounding_rules() -> None:
    assert billed_lambda_ms(D("5.5")) == 6 and billed_lambda_ms(D("20")) == 20  # up to 1 ms
    assert billed_express_ms(D("250.5")) == 300 and billed_express_ms(D("99")) == 100  # up to 100 ms
    assert billed_express_ms(D("0")) == 100  # at least one step
    assert billed_express_mb(1) == 64 and billed_express_mb(64) == 64 and billed_express_mb(65) == 128


def test_standard(costs: dict[str, dict[str, D]]) -> None:
    standard = costs["STANDARD"]
    # 7 + 3 transitions at $0.000025
    assert standard["Step Functions"] == (7 + 3) * D("0.000025") * HALF_MILLION == D("125")
    # 3 + 2 invocations (API's included) at $0.0000002
    assert standard["Lambda requests"] == 5 * D("0.0000002") * HALF_MILLION == D("0.5")
    # GB-seconds: Api 0.125 GB x 0.006 s twice; A 0.25 GB x 0.011 s and x 0.004 s (x86);
    # B 0.5 GB x 0.020 s (arm)
    x86 = D("0.125") * D("0.006") * 2 + D("0.25") * D("0.011") + D("0.25") * D("0.004")
    arm = D("0.5") * D("0.020")
    assert x86 == D("0.00525") and arm == D("0.01")
    expected = (x86 * D("0.0000166667") + arm * D("0.0000133334")) * HALF_MILLION
    assert standard["Lambda compute"] == expected == D("0.1104170875")
    # 8 WRU + 3 RRU
    assert standard["DynamoDB"] == (8 * D("0.000000625") + 3 * D("0.000000125")) * HALF_MILLION == D("2.6875")
    assert standard["SQS"] == D("0.0000004") * HALF_MILLION == D("0.2")
    assert standard["API Gateway"] == 2 * D("0.0000035") * HALF_MILLION == D("3.5")
    assert standard["SES"] == D("0.0001") * HALF_MILLION == D("50")
    # logs: the functions' (1024 + 2048 + 512, 1024 + 512) and the workflow's (4096, 2048) bytes
    logs = D(1024 + 2048 + 512 + 4096 + 1024 + 512 + 2048)
    assert standard["CloudWatch Logs"] == logs / GIB * D("0.50") * HALF_MILLION


def test_express_differs_from_standard_only_in_step_functions(costs: dict[str, dict[str, D]]) -> None:
    express, standard = costs["EXPRESS"], costs["STANDARD"]
    # one request each, + 64 MB (0.0625 GB) x 0.3 s and x 0.1 s at $0.00001667 per GB-second
    duration = (D("0.0625") * D("0.3") + D("0.0625") * D("0.1")) * D("0.00001667")
    assert express["Step Functions"] == (2 * D("0.000001") + duration) * HALF_MILLION == D("1.208375")
    assert {s: v for s, v in express.items() if s != "Step Functions"} == {
        s: v for s, v in standard.items() if s != "Step Functions"
    }


def test_seed_single_lambda(costs: dict[str, dict[str, D]]) -> None:
    seed = costs["SEED"]
    assert seed["Step Functions"] == 0
    # one invocation per order, no API Lambda
    assert seed["Lambda requests"] == 2 * D("0.0000002") * HALF_MILLION == D("0.2")
    # 10.2 + 20 = 30.2 -> 31 ms; 3.1 -> 4 ms; at 256 MB x86_64 (the seed's own memory, not B's arm64)
    gb_seconds = D("0.25") * D("0.031") + D("0.25") * D("0.004")
    assert seed["Lambda compute"] == gb_seconds * D("0.0000166667") * HALF_MILLION == D("0.0729168125")
    # the same DynamoDB, SQS, API and SES requests
    for service in ("DynamoDB", "SQS", "API Gateway", "SES"):
        assert seed[service] == costs["STANDARD"][service]
    # the workflow functions' log lines only: no API function, no workflow log group
    assert seed["CloudWatch Logs"] == D(1024 + 2048 + 1024) / GIB * D("0.50") * HALF_MILLION


def test_totals_add_up() -> None:
    result = cost_per_orders([CONFIRMED], FUNCTIONS, PRICES, per=1)
    assert result["STANDARD"].total == sum(result["STANDARD"].by_service.values())
    with pytest.raises(ValueError, match="no orders"):
        cost_per_orders([], FUNCTIONS, PRICES)
