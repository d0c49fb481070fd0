"""One boto3 client per AWS service per execution environment, created on first use.

Clients are thread-safe and cheap to share; creating one loads service models, which is not.
"""

from functools import cache
from typing import Any

import boto3


@cache
def aws_client(service: str) -> Any:
    return boto3.client(service)
