"""ses_sent_at (runtime/moto/ses.py): the time SES accepted each message.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import datetime as dt

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import ses as moto_ses
from tests.moto_patches.support import (
    ACCOUNT,
    REGION,
    client,
    gap,
)

# ---------------------------------------------------------------------------------- ses_sent_at


def check_ses_sent_at() -> None:
    ses = client("ses")
    ses.verify_email_identity(EmailAddress="shop@example.com")
    before = dt.datetime.now(dt.UTC)
    ses.send_email(
        Source="shop@example.com",
        Destination={"ToAddresses": ["customer@example.com"]},
        Message={"Subject": {"Data": "Order"}, "Body": {"Text": {"Data": "Thanks"}}},
    )
    after = dt.datetime.now(dt.UTC)
    [message] = moto_ses.sent_messages(ACCOUNT, REGION)
    sent = moto_ses.sent_at(message)
    assert sent is not None, "each accepted message has its send time"
    assert sent.utcoffset() == dt.timedelta(0)
    assert before <= sent <= after


@gap("ses_sent_at")
def test_ses_sent_at_gap_in_plain_moto(moto_aws: None) -> None:
    check_ses_sent_at()


def test_ses_sent_at_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("ses_sent_at"):
        check_ses_sent_at()
