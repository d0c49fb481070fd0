"""A real boto3 client whose every request is answered with given bytes (a ``before-send`` handler, so
nothing listens), counting the attempts botocore makes: for checking what botocore parses out of a
wire answer, and which answers its standard retry mode retries."""

from __future__ import annotations

import io
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config


class _Raw:
    def __init__(self, body: bytes):
        self._body = io.BytesIO(body)

    def stream(self, **kwargs: Any) -> Any:
        yield self._body.read()

    def read(self, *args: Any) -> bytes:
        return self._body.read()


def answering_client(service: str, answer: Any, attempts: list[str], max_attempts: int = 3) -> Any:
    """A ``service`` client that gets ``answer`` (``status``, ``headers``, ``body``) for every request
    and appends each attempt's URL to ``attempts``."""
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        config=Config(retries={"mode": "standard", "total_max_attempts": max_attempts}),
    )

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        attempts.append(request.url)
        return AWSResponse(request.url, answer.status, dict(answer.headers), _Raw(answer.body))

    client.meta.events.register("before-send", send)
    return client
