"""How every function reads an AWS failure: transient or not, and why a transaction was cancelled.

Transient means "the same request may well succeed later", and it is decided the way botocore's
standard retry mode decides whether to retry (``botocore.retries.standard``), with botocore's own
checkers rather than a list of ours:

- its throttling error codes (``Throttling`` as SES answers, ``ThrottlingException``,
  ``ProvisionedThroughputExceededException``, ``RequestLimitExceeded``, ...);
- its transient error codes and HTTP statuses (500, 502, 503, 504; 429 for an error outside the model);
- connection errors, where no answer came at all (``EndpointConnectionError``, ``ConnectTimeoutError``,
  ``ReadTimeoutError``, ``ConnectionClosedError``, ...);
- ``MaxAttemptsReached`` in the response metadata after at least one retry: botocore was retrying the
  request and ran out of attempts. (Standard mode also sets the flag on the last attempt allowed when
  that attempt's error is not retryable, and on every error when no retry is allowed at all; so the
  data layers handle the answers they understand, e.g. a failed condition, before they ask this
  module, and a flag without any retry counts for nothing.)

By the time a function sees such an error, botocore already retried it (the template sets
AWS_RETRY_MODE=standard, AWS_MAX_ATTEMPTS=3): it becomes ``TransientServiceError``, the one name the
workflow retries and the APIs answer with 503. Every other error propagates unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    ThrottlingStatusCodeChecker,
    TransientRetryableChecker,
)

from orderflow_common.dynamodb_items import from_attribute_values
from orderflow_common.errors import TransientServiceError

__all__ = [
    "CancellationReason",
    "TransactionCancellation",
    "TransientServiceError",
    "error_code",
    "is_transient",
    "max_attempts_reached",
    "transaction_cancellation",
    "transient_errors",
]

# botocore's checkers, each asked "would you retry this?" of one failure.
_CHECKERS = (ThrottledRetryableChecker(), TransientRetryableChecker(), ThrottlingStatusCodeChecker())


@dataclass(frozen=True)
class _HttpResponse:
    """The one attribute of botocore's AWSResponse that the checkers read."""

    status_code: int


def error_code(exc: BaseException) -> str:
    """The service's error code of a ClientError (``""`` for anything else)."""
    if not isinstance(exc, ClientError):
        return ""
    return str(exc.response.get("Error", {}).get("Code", ""))


def _retry_context(exc: BotoCoreError | ClientError) -> RetryContext:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        http_response = _HttpResponse(status) if isinstance(status, int) else None
        return RetryContext(attempt_number=1, parsed_response=exc.response, http_response=http_response)
    return RetryContext(attempt_number=1, caught_exception=exc)


def max_attempts_reached(exc: BaseException) -> bool:
    """botocore retried the request (at least once) and stopped because its attempts ran out."""
    if not isinstance(exc, ClientError):
        return False
    metadata: Mapping[str, Any] = exc.response.get("ResponseMetadata", {})
    return bool(metadata.get("MaxAttemptsReached")) and int(metadata.get("RetryAttempts") or 0) > 0


def is_transient(exc: BaseException) -> bool:
    """Whether botocore's standard retry mode treats ``exc`` as worth retrying (see the module doc)."""
    if not isinstance(exc, BotoCoreError | ClientError):
        return False
    context = _retry_context(exc)
    return any(checker.is_retryable(context) for checker in _CHECKERS) or max_attempts_reached(exc)


def _describe(exc: BaseException) -> str:
    return error_code(exc) or type(exc).__name__


@contextmanager
def transient_errors(operation: str, *, keep_cause: bool = True) -> Iterator[None]:
    """Re-raise a transient AWS failure (already retried by botocore) as TransientServiceError named
    after ``operation`` and the error code (or exception name); every other error propagates unchanged.

    ``keep_cause=False`` drops the original error from the chain, for services whose messages can
    quote personal data (SES quotes addresses).
    """
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        if not is_transient(exc):
            raise
        error = TransientServiceError(f"{operation}: {_describe(exc)} after retries")
        if keep_cause:
            raise error from exc
        raise error from None


# ------------------------------------------------------------------ TransactWriteItems cancellations
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"
# Cancellation reasons that mean "DynamoDB was too busy", not "refused".
THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})


@dataclass(frozen=True)
class CancellationReason:
    """Why one item of a cancelled transaction failed (``"None"``: that item did not)."""

    code: str
    # The item as it was, when the request asked for ReturnValuesOnConditionCheckFailure=ALL_OLD and
    # the item existed ({} otherwise); numbers are Decimal.
    item: dict[str, Any]

    @property
    def condition_failed(self) -> bool:
        return self.code == CONDITIONAL_CHECK_FAILED


@dataclass(frozen=True)
class TransactionCancellation:
    """The decoded ``CancellationReasons`` of a TransactionCanceledException, one per item in order."""

    reasons: tuple[CancellationReason, ...]

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def conflict(self) -> bool:
        """Another transaction or write touched the same items meanwhile."""
        return TRANSACTION_CONFLICT in self.codes

    @property
    def throttled(self) -> bool:
        return not THROTTLING_REASONS.isdisjoint(self.codes)

    @property
    def only_conditions_failed(self) -> bool:
        """Every item either passed or failed its condition: the request was refused, not disturbed."""
        return all(code in ("None", CONDITIONAL_CHECK_FAILED) for code in self.codes)


def transaction_cancellation(exc: ClientError, items: int) -> TransactionCancellation | None:
    """The reasons of a TransactWriteItems of ``items`` items that was cancelled; None when ``exc`` is
    another error, or its reasons do not match the request (the caller re-raises it then)."""
    if error_code(exc) != "TransactionCanceledException":
        return None
    raw = exc.response.get("CancellationReasons") or []
    if len(raw) != items:
        return None
    return TransactionCancellation(
        tuple(
            CancellationReason(
                code=str(reason.get("Code") or "None"),
                item=from_attribute_values(reason.get("Item") or {}),
            )
            for reason in raw
        )
    )
