"""The one error type of orderflow.runtime.sfn_local."""

from __future__ import annotations

from orderflow.errors import OrderflowError


class MockConfigError(OrderflowError, ValueError):
    """A mock configuration file or an sfn_local environment setting is invalid.

    The message is one line and starts with the place: the file and the JSON path inside it
    (``MockConfigFile.json: MockedResponses.CheckStockThrottled."1-3": overlaps "2"``), or the
    environment variable (``ORDERFLOW_TIME_SCALE: ...``).
    """
