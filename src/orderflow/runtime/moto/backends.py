"""moto's process-global state, through its public surface where it has one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.config import default_user_config
from moto.moto_api._internal.models import moto_api_backend
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

__all__ = ["DEFAULT_ACCOUNT_ID", "executing_state_machines", "reset", "send_to_destination"]


def reset() -> None:
    """Every backend of every service back to empty (what POST /moto-api/reset does)."""
    moto_api_backend.reset()


@contextlib.contextmanager
def executing_state_machines(port: int) -> Iterator[None]:
    """moto's settings while a runtime serves on ``port``: state machines really execute (on moto's
    ASL interpreter), and the interpreter's service integrations call the server on that port
    (``MOTO_PORT``). Both are restored afterwards."""
    saved_port = os.environ.get("MOTO_PORT")
    saved_execute = default_user_config["stepfunctions"].get("execute_state_machine")
    os.environ["MOTO_PORT"] = str(port)
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    try:
        yield
    finally:
        default_user_config["stepfunctions"]["execute_state_machine"] = bool(saved_execute)
        if saved_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = saved_port


def send_to_destination(arn: str, message: str, account_id: str, region: str) -> bool:
    """Deliver to an SQS queue or SNS topic ARN through moto's own backends; False for other ARNs."""
    service = arn.split(":")[2]
    if service == "sqs":
        sqs_backends[account_id][arn.split(":")[3]].send_message(arn.split(":")[5], message)
        return True
    if service == "sns":
        sns_backends[account_id][arn.split(":")[3]].publish(message, arn=arn)
        return True
    return False
