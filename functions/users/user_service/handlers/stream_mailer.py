"""UsersTable stream -> SES: a welcome mail on INSERT, a notice when a user becomes suspended.

Each record is processed on its own (Powertools BatchProcessor): a record that fails is reported in
``batchItemFailures`` and only it (and what follows it in its shard) is delivered again. Each record
is idempotent on its ``eventID``, so a redelivered record never mails twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from orderflow_common.observability import logger, metrics, tracer
from orderflow_common.settings import load_settings

from user_service.dal.clients import aws_client
from user_service.dal.mailer import SesMailer
from user_service.logic.mail import handle_user_change
from user_service.settings import MailerSettings

# A stream keeps records for 24 hours: remember handled event ids at least that long.
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60

settings = load_settings(MailerSettings)
persistence_layer = DynamoDBPersistenceLayer(
    table_name=settings.idempotency_table_name, boto3_client=aws_client("dynamodb")
)
idempotency_config = IdempotencyConfig(
    event_key_jmespath="eventID",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
mailer = SesMailer(sender=settings.sender_email)


@idempotent_function(
    data_keyword_argument="record", config=idempotency_config, persistence_store=persistence_layer
)
def record_handler(record: DynamoDBRecord) -> dict[str, Any]:
    event_name = record.event_name.name if record.event_name else ""
    change = record.dynamodb
    old_image = change.old_image if change else {}
    new_image = change.new_image if change else {}
    user_id = (new_image or old_image).get("userId")
    try:
        kind = handle_user_change(event_name, old_image, new_image, mailer)
    except Exception as exc:
        # Type only: messages of AWS errors can quote the address.
        logger.warning(
            "stream record failed",
            extra={"userId": user_id, "eventName": event_name, "error": type(exc).__name__},
        )
        raise
    if kind is not None:
        metrics.add_metric(name=f"{kind.capitalize()}MailSent", unit=MetricUnit.Count, value=1)
    return {"mail": kind}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency_config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
