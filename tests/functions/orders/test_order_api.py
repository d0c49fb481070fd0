"""OrdersApi: POST /orders starts the workflow (execution name = orderId); GET reports the order."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from order_service.models import ExecutionSnapshot, Order
from orderflow_common.dynamodb_items import to_attribute_values

from orderflow.arns import execution_arn
from tests.functions.orders.orders_support import rest_event
from tests.support.lambda_env import REGION, fresh_module

BODY = {"customerId": "c-ada", "items": [{"productId": "p-cup", "quantity": 2}]}


@pytest.fixture
def call(orders_api, context):
    def _call(method, path, **kwargs):
        response = orders_api.handler(rest_event(method, path, **kwargs), context)
        assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
        return response["statusCode"], json.loads(response["body"])

    return _call


def execution(state_machine_arn, name):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = execution_arn(state_machine_arn, name)
    return sfn.describe_execution(executionArn=arn)


# ---------------------------------------------------------------------------------------- EXPRESS
@pytest.fixture
def express_api(state_machine_arn, api_orders_table, monkeypatch):
    """OrdersApi as the template configures it with WorkflowType=EXPRESS; the workflow's
    StartSyncExecution answers what each test sets (moto does not run sync executions without the
    runtime's patches; tests/e2e/test_express.py runs the real thing)."""
    monkeypatch.setenv("ORDER_WORKFLOW_TYPE", "EXPRESS")
    module = fresh_module("order_service.handlers.orders_api")
    answers = {}
    monkeypatch.setattr(module.workflow, "run", lambda order_id, execution_input: answers.get("snapshot"))
    monkeypatch.setattr(
        module.workflow, "describe", lambda order_id: pytest.fail("EXPRESS is not describable")
    )
    return module, answers


@pytest.mark.parametrize(
    ("snapshot", "expected_status", "expected_order_status"),
    [
        (
            ExecutionSnapshot(
                status="SUCCEEDED", output=json.dumps({"status": "CONFIRMED", "totalAmount": "5.00"})
            ),
            201,
            "CONFIRMED",
        ),
        (
            ExecutionSnapshot(
                status="SUCCEEDED",
                output=json.dumps({"status": "REJECTED", "reason": "OutOfStock", "cause": "c"}),
            ),
            422,
            "REJECTED",
        ),
        (ExecutionSnapshot(status="FAILED", error="States.TaskFailed"), 502, "FAILED"),
        (None, 202, "PENDING"),
    ],
)
def test_express_post_answers_the_outcome(
    express_api, context, snapshot, expected_status, expected_order_status
):
    module, answers = express_api
    answers["snapshot"] = snapshot

    response = module.handler(rest_event("POST", "/orders", body={**BODY, "orderId": "o-9"}), context)

    assert response["statusCode"] == expected_status
    body = json.loads(response["body"])
    assert body["orderId"] == "o-9" and body["status"] == expected_order_status


def test_express_get_of_an_order_not_in_the_table_is_404(express_api, context):
    module, _ = express_api
    response = module.handler(rest_event("GET", "/orders/o-unknown"), context)
    assert response["statusCode"] == 404


# ---------------------------------------------------------------------------------------- POST /orders
def test_post_starts_an_execution_named_by_the_client_order_id(call, state_machine_arn):
    status, body = call("POST", "/orders", body={**BODY, "orderId": "o-123"})

    assert status == 202
    described = execution(state_machine_arn, "o-123")
    assert body == {"orderId": "o-123", "executionArn": described["executionArn"]}
    assert described["stateMachineArn"] == state_machine_arn
    assert json.loads(described["input"]) == {**BODY, "orderId": "o-123"}


def test_post_without_order_id_generates_one(call, state_machine_arn):
    status, body = call("POST", "/orders", body=BODY)

    assert status == 202
    assert len(body["orderId"]) == 36  # a uuid4
    described = execution(state_machine_arn, body["orderId"])
    assert json.loads(described["input"])["orderId"] == body["orderId"]


def test_two_posts_without_order_id_are_two_orders(call):
    assert (
        call("POST", "/orders", body=BODY)[1]["orderId"] != call("POST", "/orders", body=BODY)[1]["orderId"]
    )


def test_an_order_id_already_used_for_another_order_is_422(call):
    assert call("POST", "/orders", body={**BODY, "orderId": "o-1"})[0] == 202
    status, body = call("POST", "/orders", body={**BODY, "orderId": "o-1", "customerId": "c-other"})
    assert status == 422
    assert body["orderId"] == "o-1"
    assert "already used for a different order" in body["message"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "a JSON object body is required"),
        ({"raw_body": "null"}, "must be a JSON object, not a JSON null"),
        ({"raw_body": '{"customerId": "c", '}, "malformed JSON body"),
        ({"raw_body": "[]"}, "must be a JSON object, not an array"),
        ({"body": {"items": BODY["items"]}}, "customerId: Field required"),
        ({"body": {**BODY, "customerId": 7}}, "customerId: Input should be a valid string"),
        ({"body": {**BODY, "items": "p-cup"}}, "items: Input should be a valid list"),
        ({"body": {**BODY, "items": []}}, "items: List should have at least 1 item"),
        ({"body": {**BODY, "items": [{"productId": "p", "quantity": 1}] * 51}}, "at most 50 items"),
        ({"body": {**BODY, "items": [{"productId": "p", "quantity": "2"}]}}, "items.0.quantity"),
        ({"body": {**BODY, "items": [{"productId": "p", "quantity": 1.5}]}}, "items.0.quantity"),
        ({"body": {**BODY, "items": [{"productId": "p", "quantity": 0}]}}, "items.0.quantity"),
        ({"body": {**BODY, "coupon": "FREE"}}, "coupon: Extra inputs are not permitted"),
        ({"body": {**BODY, "orderId": "has space"}}, "orderId: String should match pattern"),
        ({"body": {**BODY, "orderId": "x" * 81}}, "orderId: String should match pattern"),
    ],
)
def test_bad_bodies_are_400_with_a_message_and_start_nothing(call, state_machine_arn, kwargs, fragment):
    status, body = call("POST", "/orders", **kwargs)

    assert status == 400
    assert fragment in body["message"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    assert sfn.list_executions(stateMachineArn=state_machine_arn)["executions"] == []


def test_a_body_that_is_not_json_is_415(call):
    status, body = call("POST", "/orders", raw_body="customerId=c", content_type="text/plain")
    assert status == 415
    assert body == {"message": "the body must be application/json"}


def test_a_throttled_start_is_503(call, orders_api):
    with Stubber(orders_api.workflow.client) as stub:
        stub.add_client_error("start_execution", "ThrottlingException", http_status_code=400)
        status, body = call("POST", "/orders", body=BODY)
    assert status == 503
    assert "retry" in body["message"]


def test_an_unreachable_step_functions_is_503(call, orders_api, monkeypatch):
    def unreachable(**_kwargs):
        raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")

    monkeypatch.setattr(orders_api.workflow.client, "start_execution", unreachable)
    status, body = call("POST", "/orders", body=BODY)
    assert status == 503
    assert "retry" in body["message"]


# ------------------------------------------------------------------------------- GET /orders/{orderId}
def test_a_running_order_is_pending(call):
    call("POST", "/orders", body={**BODY, "orderId": "o-run"})
    assert call("GET", "/orders/o-run") == (200, {"orderId": "o-run", "status": "PENDING"})


def test_an_unknown_order_is_404(call):
    assert call("GET", "/orders/o-never") == (
        404,
        {"message": "order o-never not found", "orderId": "o-never"},
    )


def test_an_order_whose_execution_is_gone_is_confirmed_from_the_orders_table(call, api_orders_table):
    """STANDARD executions are deleted 90 days after they end, EXPRESS ones cannot be described:
    a written order stays visible as long as the table keeps it."""
    line = {"productId": "p-cup", "name": "Cup", "quantity": 2, "unitPrice": "7.50", "lineTotal": "15.00"}
    written = Order(
        orderId="o-old",
        customerId="c-ada",
        items=[line],
        totalAmount="15.00",
        createdAt="2026-01-02T03:04:05.678Z",
        expiresAt=1830000000,
    )
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=api_orders_table, Item=to_attribute_values(written.model_dump())
    )

    status, body = call("GET", "/orders/o-old")

    assert status == 200
    assert body == {
        "orderId": "o-old",
        "status": "CONFIRMED",
        "customerId": "c-ada",
        "items": [line],
        "totalAmount": "15.00",
        "createdAt": "2026-01-02T03:04:05.678Z",
    }


@pytest.mark.parametrize("order_id", ["bad.id", "x" * 81, "a%20b"])
def test_an_order_id_with_bad_characters_is_400(call, order_id):
    status, body = call("GET", f"/orders/{order_id}")
    assert status == 400
    assert "orderId" in body["message"]


@pytest.fixture
def described(orders_api, state_machine_arn):
    """described(status, **fields): the next DescribeExecution answers with that execution."""
    stubber = Stubber(orders_api.workflow.client)
    stubber.activate()

    def _described(status, order_id="o-9", **fields):
        order_execution_arn = execution_arn(state_machine_arn, order_id)
        stubber.add_response(
            "describe_execution",
            {
                "executionArn": order_execution_arn,
                "stateMachineArn": state_machine_arn,
                "status": status,
                "startDate": datetime(2026, 3, 1, tzinfo=UTC),
                **fields,
            },
            expected_params={"executionArn": order_execution_arn},
        )

    yield _described
    stubber.deactivate()


CONFIRMED_OUTPUT = {
    "orderId": "o-9",
    "status": "CONFIRMED",
    "customerId": "c-ada",
    "items": [{"productId": "p", "name": "P", "quantity": 3, "unitPrice": "19.99", "lineTotal": "59.97"}],
    "totalAmount": "59.97",
    "createdAt": "2026-03-01T12:00:00.123Z",
    "notification": {"status": "SENT", "messageId": "m-1"},
}


def test_a_confirmed_order_reports_its_lines_total_and_notification(call, described):
    described("SUCCEEDED", output=json.dumps(CONFIRMED_OUTPUT))
    assert call("GET", "/orders/o-9") == (200, CONFIRMED_OUTPUT)


def test_a_rejected_order_reports_the_reason_and_the_lambda_error_message(call, described):
    cause = json.dumps(
        {
            "errorMessage": "out of stock: p-grinder: requested 3, available 1",
            "errorType": "OutOfStock",
            "requestId": "r-1",
            "stackTrace": ['  File "/var/task/order_service/logic/pricing.py", line 30'],
        }
    )
    output = {"orderId": "o-9", "status": "REJECTED", "reason": "OutOfStock", "cause": cause}
    described("SUCCEEDED", output=json.dumps(output))

    status, body = call("GET", "/orders/o-9")

    assert status == 200
    assert body == {
        "orderId": "o-9",
        "status": "REJECTED",
        "reason": "OutOfStock",
        "message": "out of stock: p-grinder: requested 3, available 1",
    }


def test_a_rejection_whose_cause_is_not_json_reports_the_raw_cause(call, described):
    output = {
        "orderId": "o-9",
        "status": "REJECTED",
        "reason": "ValidationError",
        "cause": "plain text cause",
    }
    described("SUCCEEDED", output=json.dumps(output))
    assert call("GET", "/orders/o-9")[1]["message"] == "plain text cause"


@pytest.mark.parametrize(
    ("status", "fields", "error"),
    [
        ("FAILED", {"error": "TransientServiceError", "cause": "secret internals"}, "TransientServiceError"),
        ("TIMED_OUT", {}, "TIMED_OUT"),
        ("ABORTED", {"error": "Aborted by operator"}, "Aborted by operator"),
    ],
)
def test_technical_failures_are_failed_with_the_error_name_only(call, described, status, fields, error):
    described(status, **fields)
    assert call("GET", "/orders/o-9") == (200, {"orderId": "o-9", "status": "FAILED", "error": error})


def test_a_success_with_an_unexpected_output_is_a_500_without_details(call, described):
    described("SUCCEEDED", output=json.dumps({"something": "else"}))
    assert call("GET", "/orders/o-9") == (500, {"message": "internal error"})


def post_with_key(orders_api, context, body, key, header="Idempotency-Key"):
    response = orders_api.handler(rest_event("POST", "/orders", body=body, headers={header: key}), context)
    return response["statusCode"], json.loads(response["body"])


def test_the_idempotency_key_header_names_the_order_and_answers_retries_alike(orders_api, context):
    first = post_with_key(orders_api, context, BODY, "key-1")
    assert first[0] == 202 and first[1]["orderId"] == "key-1"
    assert first[1]["executionArn"].endswith(":key-1")
    assert post_with_key(orders_api, context, BODY, "key-1", header="idempotency-key") == first
    status, refused = post_with_key(orders_api, context, {**BODY, "customerId": "c-bob"}, "key-1")
    assert status == 422 and refused["orderId"] == "key-1"


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        (BODY, "has space", "Idempotency-Key must be 1-80 characters"),
        (BODY, "k" * 81, "Idempotency-Key must be 1-80 characters"),
        ({**BODY, "orderId": "o-1"}, "k-1", "differs from the Idempotency-Key"),
    ],
)
def test_a_bad_idempotency_key_is_400_and_starts_nothing(
    orders_api, context, state_machine_arn, body, key, fragment
):
    status, answer = post_with_key(orders_api, context, body, key)
    assert status == 400 and fragment in answer["message"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    assert sfn.list_executions(stateMachineArn=state_machine_arn)["executions"] == []
