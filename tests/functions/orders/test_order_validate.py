"""ValidateOrder: {"order", "executionName"} -> {orderId, customerId, items}, or ValidationError."""

import json
import os
from typing import Any

import pytest
from order_service.errors import ContractError, ValidationError

from tests.support.lambda_env import fresh_module


@pytest.fixture
def validate(context):
    module = fresh_module("order_service.handlers.validate_order")
    return lambda order, name="exec-1": module.handler({"order": order, "executionName": name}, context)


def items(*pairs):
    return [{"productId": p, "quantity": q} for p, q in pairs]


def test_valid_order_defaults_its_id_to_the_execution_name(validate):
    result = validate({"customerId": "c-1", "items": items(("p-1", 2))})
    assert result == {
        "orderId": "exec-1",
        "customerId": "c-1",
        "items": [{"productId": "p-1", "quantity": 2}],
    }


def test_explicit_order_id_equal_to_the_execution_name_is_kept(validate):
    result = validate({"orderId": "o-7", "customerId": "c", "items": items(("p", 1))}, name="o-7")
    assert result["orderId"] == "o-7"


def test_duplicate_products_are_merged_in_first_seen_order(validate):
    result = validate({"customerId": "c", "items": items(("b", 1), ("a", 2), ("b", 3))})
    assert result["items"] == [{"productId": "b", "quantity": 4}, {"productId": "a", "quantity": 2}]


def test_fifty_items_is_the_maximum(validate):
    result = validate({"customerId": "c", "items": items(*((f"p{i}", 1) for i in range(50)))})
    assert len(result["items"]) == 50


@pytest.mark.parametrize(
    ("order", "fragment"),
    [
        ({"items": items(("p", 1))}, "customerId: Field required"),
        ({"customerId": "", "items": items(("p", 1))}, "customerId"),
        ({"customerId": "   ", "items": items(("p", 1))}, "customerId: Value error, must not be blank"),
        ({"customerId": 42, "items": items(("p", 1))}, "customerId: Input should be a valid string"),
        ({"customerId": "c"}, "items: Field required"),
        ({"customerId": "c", "items": []}, "items: List should have at least 1 item"),
        ({"customerId": "c", "items": items(*((f"p{i}", 1) for i in range(51)))}, "at most 50 items"),
        ({"customerId": "c", "items": items(("p", 0))}, "items[0].quantity: Input should be greater than"),
        ({"customerId": "c", "items": items(("p", -3))}, "items[0].quantity"),
        (
            {"customerId": "c", "items": items(("p", 1.5))},
            "items[0].quantity: Input should be a valid integer",
        ),
        (
            {"customerId": "c", "items": items(("p", 2.0))},
            "items[0].quantity: Input should be a valid integer",
        ),
        (
            {"customerId": "c", "items": items(("p", True))},
            "items[0].quantity: Input should be a valid integer",
        ),
        (
            {"customerId": "c", "items": items(("p", "2"))},
            "items[0].quantity: Input should be a valid integer",
        ),
        ({"customerId": "c", "items": items(("p", 1), ("", 1))}, "items[1].productId"),
        ({"customerId": "c", "items": [{"quantity": 1}]}, "items[0].productId: Field required"),
        ({"customerId": "c", "items": ["p"]}, "items[0]"),
        (
            {"customerId": "c", "items": items(("p", 1)), "coupon": "X"},
            "coupon: Extra inputs are not permitted",
        ),
        ({"customerId": "c", "items": [{"productId": "p", "quantity": 1, "qty": 1}]}, "items[0].qty"),
        ({"orderId": "bad id!", "customerId": "c", "items": items(("p", 1))}, "orderId: String should match"),
        (
            {"orderId": "other", "customerId": "c", "items": items(("p", 1))},
            "differs from the execution name",
        ),
        (None, "must be a JSON object"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_invalid_orders_raise_validation_error_with_a_readable_message(validate, order, fragment):
    with pytest.raises(ValidationError) as raised:
        validate(order)
    assert str(raised.value).startswith("invalid order: ")
    assert fragment in str(raised.value)


def test_without_execution_name_the_order_id_is_required(validate):
    with pytest.raises(ValidationError, match="orderId is required"):
        validate({"customerId": "c", "items": items(("p", 1))}, name=None)


def test_an_execution_name_that_is_no_valid_order_id_is_rejected(validate):
    with pytest.raises(ValidationError, match="orderId"):
        validate({"customerId": "c", "items": items(("p", 1))}, name="has.dots")


def test_the_error_type_the_workflow_sees_is_validation_error(validate):
    # Lambda reports type(exc).__name__ as errorType; the ASL Catch matches that exact string.
    with pytest.raises(ValidationError) as raised:
        validate({"customerId": "c", "items": []})
    assert type(raised.value).__name__ == "ValidationError"


def emf_metrics(output: str) -> dict[str, dict[str, Any]]:
    """Metric name -> its EMF document, from what Powertools printed."""
    found = {}
    for line in output.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found[metric["Name"]] = document
    return found


def test_a_rejection_is_counted_per_function_for_the_errors_alarm(validate, capsys):
    """The template's ValidateOrder errors alarm subtracts BusinessRejections{FunctionName, service}
    from Lambda's Errors: the metric must carry exactly those dimensions."""
    with pytest.raises(ValidationError):
        validate({"customerId": "c", "items": []})
    document = emf_metrics(capsys.readouterr().out)["BusinessRejections"]
    assert document["BusinessRejections"] == [1.0]
    assert document["FunctionName"] == "unit-test"
    assert document["service"] == os.environ["POWERTOOLS_SERVICE_NAME"]
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    assert sorted(directive["Dimensions"][0]) == ["FunctionName", "service"]


def test_a_rejection_is_counted_by_reason_for_the_dashboard(validate, capsys):
    """The template's dashboard graphs OrderRejections{Reason, service}, one line per reason: the
    reason is the error's class name, the name the workflow's Catch matches."""
    with pytest.raises(ValidationError):
        validate({"customerId": "c", "items": []})
    document = emf_metrics(capsys.readouterr().out)["OrderRejections"]
    assert document["OrderRejections"] == [1.0]
    assert document["Reason"] == "ValidationError"
    assert document["service"] == os.environ["POWERTOOLS_SERVICE_NAME"]
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    assert sorted(directive["Dimensions"][0]) == ["Reason", "service"]


def test_an_accepted_order_counts_no_rejection(validate, capsys):
    validate({"customerId": "c", "items": items(("p", 1))})
    assert {"BusinessRejections", "OrderRejections"}.isdisjoint(emf_metrics(capsys.readouterr().out))


def test_a_broken_payload_is_no_rejection(context, capsys):
    module = fresh_module("order_service.handlers.validate_order")
    with pytest.raises(ContractError):
        module.handler({"order": {}, "executionName": {"not": "a string"}}, context)
    assert "BusinessRejections" not in emf_metrics(capsys.readouterr().out)
