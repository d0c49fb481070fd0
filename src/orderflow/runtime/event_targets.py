"""EventBridge's deliveries to rule targets, made after the request that produced the event.

A matched (rule, target) (:class:`~.event_input.Delivery`, from the ``events_rule_targets`` patch or
a schedule) is queued; one thread sends each through the embedded AWS's own API, as EventBridge does
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html):

- Step Functions: ``StartExecution`` signed as a session of the target's ``RoleArn`` (EventBridge
  needs that role; IAM checks it like any role session, and a target without one is not delivered);
- Lambda: ``Invoke`` with ``InvocationType: Event`` (asynchronous, the function's own worker path),
  as the target's role where it has one (EventBridge Scheduler's targets do);
- SQS: ``SendMessage`` (``SqsParameters.MessageGroupId`` for FIFO queues);
- SNS: ``Publish``.

A delivery that fails is one warning line naming the rule and the target (EventBridge retries for
up to 24 hours; locally it is reported, not retried), and is handed to ``on_failed`` (the runtime
counts it as the rule's FailedInvocations; its Invocations were counted when the rule matched, by the
``events_rule_targets`` patch). :meth:`EventDelivery.wait_idle` blocks until
every queued delivery was made.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import embedded_aws
from .event_input import Delivery

log = logging.getLogger("orderflow.runtime")

_STOP = object()


class EventDelivery:
    """The queue of deliveries and the thread that makes them, with clients of the embedded AWS at
    ``endpoint_url``; ``role_credentials(role_arn)`` gives a session of a role (key, secret, token);
    ``on_failed(delivery)`` is called (on the delivery thread) for each delivery that failed."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        role_credentials: Callable[[str], tuple[str, str, str]],
        on_failed: Callable[[Delivery], None] | None = None,
    ) -> None:
        self._on_failed = on_failed
        self._endpoint_url = endpoint_url
        self._region = region
        self._role_credentials = role_credentials
        self._queue: queue.Queue[Any] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._clients: dict[tuple[str, str | None], Any] = {}
        self.delivered: list[Delivery] = []  # every delivery made, in order
        self.failed: list[tuple[Delivery, str]] = []  # every one that failed, and why
        self._thread = threading.Thread(target=self._run, name="eventbridge-targets", daemon=True)
        self._thread.start()

    def submit(self, deliveries: list[Delivery]) -> None:
        with self._idle:
            self._pending += len(deliveries)
        for delivery in deliveries:
            self._queue.put(delivery)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every delivery submitted so far was made (or failed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self.deliver(item)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def deliver(self, delivery: Delivery) -> None:
        service = delivery.arn.split(":")[2]
        try:
            if service == "states":
                self._start_execution(delivery)
            elif service == "lambda":
                self._client_for("lambda", delivery.role_arn).invoke(
                    FunctionName=delivery.arn, InvocationType="Event", Payload=delivery.input.encode()
                )
            elif service == "sqs":
                sqs = self._client_for("sqs")
                url = sqs.get_queue_url(QueueName=delivery.arn.split(":")[5])["QueueUrl"]
                extra = {"MessageGroupId": delivery.message_group_id} if delivery.message_group_id else {}
                sqs.send_message(QueueUrl=url, MessageBody=delivery.input, **extra)
            elif service == "sns":
                self._client_for("sns").publish(TopicArn=delivery.arn, Message=delivery.input)
            else:
                raise ValueError(f"targets of {service} are not delivered locally")
        except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
            self._failed(delivery, " ".join(str(exc).split()))
            return
        self.delivered.append(delivery)

    def _start_execution(self, delivery: Delivery) -> None:
        if not delivery.role_arn:
            raise ValueError("a Step Functions target needs a RoleArn")
        self._client_for("stepfunctions", delivery.role_arn).start_execution(
            stateMachineArn=delivery.arn, input=delivery.input
        )

    def _client_for(self, service: str, role_arn: str | None = None) -> Any:
        key = (service, role_arn)
        client = self._clients.get(key)
        if client is None:
            if role_arn is None:
                client = embedded_aws.client(self._endpoint_url, self._region, service)
            else:
                access_key, secret, token = self._role_credentials(role_arn)
                client = boto3.client(
                    service,
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    aws_access_key_id=access_key,
                    aws_secret_access_key=secret,
                    aws_session_token=token,
                    config=Config(retries={"max_attempts": 1}),
                )
            self._clients[key] = client
        return client

    def _failed(self, delivery: Delivery, why: str) -> None:
        self.failed.append((delivery, why))
        rule = delivery.rule_arn.rsplit("/", 1)[-1]
        log.warning("EventBridge rule %s target %s not delivered: %s", rule, delivery.target_id, why)
        if self._on_failed is not None:
            self._on_failed(delivery)
