"""The stream mailer, fed with the records moto's UsersTable stream really produced for API writes."""

from __future__ import annotations

import io
import json
import logging

import pytest
from botocore.exceptions import ClientError

from tests.functions.users.users_support import SENDER
from tests.support.lambda_env import LambdaContext


@pytest.fixture
def deliver(stream_mailer):
    def _deliver(records):
        return stream_mailer.handler({"Records": records}, LambdaContext())

    return _deliver


@pytest.fixture
def ada(create_user, users_stream):
    user = create_user("ada@example.com", name="Ada Lovelace")
    return user


def _recipients(messages):
    return [address for m in messages for address in m.destinations["ToAddresses"]]


def test_insert_sends_a_welcome_mail(ada, users_stream, deliver, sent_mail):
    records = users_stream()
    assert [r["eventName"] for r in records] == ["INSERT"]

    result = deliver(records)

    assert result == {"batchItemFailures": []}
    [mail] = sent_mail()
    assert mail.source == SENDER
    assert mail.destinations["ToAddresses"] == ["ada@example.com"]
    assert mail.subject == "Welcome to orderflow, Ada Lovelace!"
    assert "Hi Ada Lovelace," in mail.body


def test_suspension_sends_a_notice(ada, call, users_stream, deliver, sent_mail):
    users_stream()  # the INSERT, handled elsewhere
    assert call("PUT", f"/users/{ada['userId']}", body={"status": "suspended"}).status == 200
    records = users_stream()
    assert [r["eventName"] for r in records] == ["MODIFY"]

    result = deliver(records)

    assert result == {"batchItemFailures": []}
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["ada@example.com"]
    assert mail.subject == "Your orderflow account has been suspended"
    assert "Hi Ada Lovelace," in mail.body


def test_suspension_notice_goes_to_the_new_address_when_both_change(
    ada, call, users_stream, deliver, sent_mail
):
    users_stream()
    body = {"status": "suspended", "email": "countess@example.com"}
    assert call("PUT", f"/users/{ada['userId']}", body=body).status == 200

    deliver(users_stream())

    assert _recipients(sent_mail()) == ["countess@example.com"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param([{"name": "Ada King"}], id="rename"),
        pytest.param([{"email": "countess@example.com"}], id="email change"),
        pytest.param([{"status": "active"}], id="active to active"),
        pytest.param([{"status": "suspended"}, {"status": "suspended"}], id="suspended to suspended"),
        pytest.param([{"status": "suspended"}, {"name": "Ada King"}], id="rename while suspended"),
        pytest.param([{"status": "suspended"}, {"status": "active"}], id="reactivation"),
    ],
)
def test_other_modifications_send_nothing(ada, call, users_stream, deliver, sent_mail, changes):
    users_stream()
    *before, last = changes
    for change in before:
        assert call("PUT", f"/users/{ada['userId']}", body=change).status == 200
    users_stream()
    assert call("PUT", f"/users/{ada['userId']}", body=last).status == 200
    records = users_stream()
    assert [r["eventName"] for r in records] == ["MODIFY"]

    result = deliver(records)

    assert result == {"batchItemFailures": []}
    assert sent_mail() == []


def test_remove_sends_nothing(ada, call, users_stream, deliver, sent_mail):
    users_stream()
    assert call("DELETE", f"/users/{ada['userId']}").status == 204
    records = users_stream()
    assert [r["eventName"] for r in records] == ["REMOVE"]

    result = deliver(records)

    assert result == {"batchItemFailures": []}
    assert sent_mail() == []


def test_a_failing_record_is_reported_alone_and_its_retry_mails_once(
    create_user, users_stream, stream_mailer, deliver, sent_mail, monkeypatch
):
    for email in ("ada@example.com", "grace@example.com", "edsger@example.com"):
        create_user(email, name=email.split("@")[0].title())
    records = users_stream()
    assert len(records) == 3
    client = stream_mailer.mailer.client
    real_send = client.send_email

    def picky_send(**kwargs):
        if kwargs["Destination"]["ToAddresses"] == ["grace@example.com"]:
            error = {"Error": {"Code": "MessageRejected", "Message": "rejected grace@example.com"}}
            raise ClientError(error, "SendEmail")
        return real_send(**kwargs)

    monkeypatch.setattr(client, "send_email", picky_send)

    result = deliver(records)

    grace_sequence = records[1]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": grace_sequence}]}
    assert sorted(_recipients(sent_mail())) == ["ada@example.com", "edsger@example.com"]

    # Lambda delivers the batch again (from the failed record on, or whole): only Grace is mailed now.
    monkeypatch.setattr(client, "send_email", real_send)
    assert deliver(records) == {"batchItemFailures": []}
    assert sorted(_recipients(sent_mail())) == [
        "ada@example.com",
        "edsger@example.com",
        "grace@example.com",
    ]


def test_a_malformed_record_fails_alone(ada, users_stream, deliver, sent_mail):
    [good] = users_stream()
    broken = json.loads(json.dumps(good))
    broken["eventID"] = "broken-event"
    broken["dynamodb"]["SequenceNumber"] = "999"
    del broken["dynamodb"]["NewImage"]["email"]

    result = deliver([broken, good])

    assert result == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    assert _recipients(sent_mail()) == ["ada@example.com"]


def test_the_same_event_delivered_twice_mails_once(ada, users_stream, deliver, sent_mail):
    [record] = users_stream()

    assert deliver([record]) == {"batchItemFailures": []}
    assert deliver([record]) == {"batchItemFailures": []}
    assert deliver([record, record]) == {"batchItemFailures": []}

    assert _recipients(sent_mail()) == ["ada@example.com"]


def test_logs_name_the_user_but_never_the_address(ada, users_stream, stream_mailer, deliver, monkeypatch):
    records = users_stream()
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(stream_mailer.logger.registered_formatter)
    std_logger = logging.getLogger(stream_mailer.logger.name)
    std_logger.addHandler(capture)
    try:
        deliver(records)
    finally:
        std_logger.removeHandler(capture)

    logs = [json.loads(line) for line in buffer.getvalue().splitlines()]
    sent = [entry for entry in logs if entry["message"] == "mail sent"]
    assert sent and sent[0]["userId"] == ada["userId"]
    assert sent[0]["level"] == "INFO"
    assert "ada@example.com" not in buffer.getvalue()
