"""SES: the only code that sends mail (IAM: ses:SendEmail from the SenderEmail identity)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from orderflow_common.aws_errors import error_code, transient_errors
from orderflow_common.observability import tracer

from user_service.dal.clients import aws_client
from user_service.errors import MailNotSent
from user_service.models import Mail

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient

CHARSET = "UTF-8"


class SesMailer:
    def __init__(self, sender: str, client: SESClient | None = None) -> None:
        self._sender = sender
        self.client = client or aws_client("ses")

    # The error is MailNotSent(code) at most (the address never reaches the trace).
    @tracer.capture_method
    def send(self, mail: Mail) -> str:
        # SES messages can quote the address: keep only the error code, never the original error.
        try:
            with transient_errors("SES SendEmail", keep_cause=False):
                response = self.client.send_email(
                    Source=self._sender,
                    Destination={"ToAddresses": [mail.to]},
                    Message={
                        "Subject": {"Data": mail.subject, "Charset": CHARSET},
                        "Body": {"Text": {"Data": mail.body, "Charset": CHARSET}},
                    },
                )
        except ClientError as exc:
            raise MailNotSent(error_code(exc)) from None
        return str(response["MessageId"])
