"""Errors shared by the data layers.

Class names matter: Lambda reports an unhandled exception's class name as ``errorType``, and that is
the string ASL ``Retry``/``Catch`` ``ErrorEquals`` matches. Which AWS failures become
``TransientServiceError`` is decided in ``orderflow_common.aws_errors``.
"""


class TransientServiceError(Exception):
    """AWS kept throttling or failing after botocore's own retries; the workflow may retry the task."""
