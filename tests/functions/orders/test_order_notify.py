"""NotifyOrder: one SQS message {orderId, customerId, totalAmount as a decimal string}."""

import json

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from order_service.errors import ContractError, TransientServiceError

PAYLOAD = {"orderId": "o-1", "customerId": "c-1", "totalAmount": "59.97"}


def test_sends_the_order_summary_and_returns_the_message_id(notify_order, received, context):
    result = notify_order.handler(PAYLOAD, context)

    [message] = received("OrderNotificationsQueue")
    assert result == {"messageId": message["MessageId"]}
    assert json.loads(message["Body"]) == {"orderId": "o-1", "customerId": "c-1", "totalAmount": "59.97"}
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {"eventType": "OrderConfirmed", "orderId": "o-1"}
    assert received("OrderNotificationsDlq") == []


def test_the_amount_stays_a_string_with_cents(notify_order, received, context):
    notify_order.handler({**PAYLOAD, "totalAmount": "12.5"}, context)
    [message] = received("OrderNotificationsQueue")
    assert json.loads(message["Body"])["totalAmount"] == "12.50"


def test_a_float_amount_is_a_contract_error(notify_order, received, context):
    with pytest.raises(ContractError, match="totalAmount"):
        notify_order.handler({**PAYLOAD, "totalAmount": 59.97}, context)
    assert received("OrderNotificationsQueue") == []


def test_errors_propagate_so_the_workflow_can_retry_and_park(notify_order, context, monkeypatch):
    monkeypatch.setattr(notify_order.queue, "queue_url", notify_order.queue.queue_url + "-gone")
    with pytest.raises(ClientError):
        notify_order.handler(PAYLOAD, context)


def test_throttling_after_botocore_retries_is_a_transient_service_error(notify_order, context):
    with Stubber(notify_order.queue.client) as stub:
        stub.add_client_error("send_message", "RequestThrottled", http_status_code=403)
        with pytest.raises(TransientServiceError, match="RequestThrottled"):
            notify_order.handler(PAYLOAD, context)
