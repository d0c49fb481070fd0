"""What every data-layer module shares: how AWS failures become ``TransientServiceError``.

Clients are created once per execution environment at module scope (in each dal module), with no
region, endpoint or retry setting in code: boto3 reads AWS_REGION, AWS_ENDPOINT_URL, AWS_RETRY_MODE and
AWS_MAX_ATTEMPTS from the environment (the template sets standard mode, 3 attempts).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from orderflow_common.errors import TransientServiceError, error_code, is_transient

# Timeouts and dropped connections that survived botocore's own retries.
NETWORK_ERRORS = (BotocoreConnectionError, HTTPClientError)


@contextmanager
def transient_errors(operation: str) -> Iterator[None]:
    """Re-raise throttling/5xx/network failures (already retried by botocore) as TransientServiceError,
    the one name the workflow retries; every other error propagates unchanged."""
    try:
        yield
    except ClientError as exc:
        if is_transient(exc):
            raise TransientServiceError(f"{operation}: {error_code(exc)} after retries") from exc
        raise
    except NETWORK_ERRORS as exc:
        raise TransientServiceError(f"{operation}: {type(exc).__name__} after retries") from exc
