"""boto3 clients for a running local runtime (``orderflow up``), with one-line errors.

boto3 is imported when a client is first made (not with this module): ``orderflow --help``,
``--version`` and the commands that need no AWS API never import it. Errors are
:class:`orderflow.errors.OrderflowError`.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

from orderflow.errors import OrderflowError

DEFAULT_REGION = "us-east-1"


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


_LOCK = threading.Lock()  # a boto3 Session is not thread-safe; the clients it makes are


CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@functools.cache
def _session(credentials: tuple[str | None, ...]) -> boto3.session.Session:
    import boto3

    if credentials[0]:  # the environment's (read by the session)
        return boto3.session.Session()
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106


def session() -> boto3.session.Session:
    """One session per process and set of credential variables (its loader reads each service model
    once: a command that makes three clients pays for one). The embedded AWS accepts any
    credentials; real ones from the environment are used when set."""
    return _session(tuple(os.environ.get(name) for name in CREDENTIAL_VARIABLES))


def client(service: str, endpoint: str, region: str | None = None, **config: Any) -> Any:
    from botocore.config import Config

    cfg = Config(
        connect_timeout=2,
        read_timeout=config.pop("read_timeout", 30),
        retries={"max_attempts": config.pop("max_attempts", 2), "mode": "standard"},
        inject_host_prefix=False,  # a local endpoint has no sync-127.0.0.1 (StartSyncExecution's prefix)
        **config,
    )
    with _LOCK:
        return session().client(
            service, endpoint_url=endpoint, region_name=region or default_region(), config=cfg
        )


def not_running(endpoint: str) -> OrderflowError:
    return OrderflowError(f"no orderflow runtime at {endpoint} (start it with `orderflow up`)")


def stack_resources(endpoint: str, stack_name: str, region: str | None = None) -> list[dict[str, Any]]:
    """The stack's resources; OrderflowError when the runtime is not there or has no such stack."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    cfn = client("cloudformation", endpoint, region, max_attempts=1)
    try:
        return list(cfn.describe_stack_resources(StackName=stack_name)["StackResources"])
    except EndpointConnectionError:
        raise not_running(endpoint) from None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationError":
            raise OrderflowError(f"no stack {stack_name!r} at {endpoint} (see --stack-name)") from None
        raise OrderflowError(f"{endpoint}: {exc}") from None
