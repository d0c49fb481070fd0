"""Errors shared by the data layers.

Class names matter: Lambda reports an unhandled exception's class name as ``errorType``, and that is
the string ASL ``Retry``/``Catch`` ``ErrorEquals`` matches.
"""

from botocore.exceptions import ClientError

# Error codes AWS documents as transient; botocore's standard retry mode already retried them.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestThrottled",
        "TransactionInProgressException",
    }
)


class TransientServiceError(Exception):
    """AWS kept throttling or failing after botocore's own retries; the workflow may retry the task."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: ClientError) -> bool:
    return error_code(exc) in TRANSIENT_ERROR_CODES
