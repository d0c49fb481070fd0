"""A stop in three steps: refuse new work, let what runs finish (a bounded grace), then stop.

From :meth:`Stopping.begin` on, the embedded AWS answers every request that would start new work
(Step Functions' StartExecution and StartSyncExecution) with 503 ``ServiceUnavailable`` in the
service's own wire format and a ``Retry-After`` header, so no client is told "started" for an
execution that would be cut short; every other request is served as before, so executions already
running (their Lambda functions, their DynamoDB and SQS calls) go on. The local API does the same for
new HTTP requests (see :meth:`orderflow.api.ApiServer.refuse_new`).

:meth:`Stopping.drain` then waits until nothing runs (no RUNNING execution, nothing in flight at
the local API) or the grace period is over, or :meth:`Stopping.hurry` is called (a second Ctrl-C).
What still runs after that is saved as it stands and resumes at the next start
(see :mod:`.moto.sfn_resume`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .aws_wire import WireError, error_response

DEFAULT_GRACE_S = 10.0
RETRY_AFTER_S = 5  # a restart takes a few seconds; the client's own retries do the rest
NEW_WORK = frozenset({"StartExecution", "StartSyncExecution"})
REFUSED = "the local runtime is stopping: no new executions are started; retry once it has restarted"
POLL_S = 0.1  # how often drain() looks again when nobody notifies it (an execution can end unseen)


def new_work(environ: dict[str, Any]) -> bool:
    """Whether a request to the embedded AWS starts new work (Step Functions' JSON protocol)."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    return target.startswith("AWSStepFunctions.") and target.rsplit(".", 1)[-1] in NEW_WORK


def refusal() -> WireError:
    """Step Functions' 503 (JSON protocol), with Retry-After."""
    return error_response(
        "stepfunctions", "ServiceUnavailable", REFUSED, 503, headers=[("Retry-After", str(RETRY_AFTER_S))]
    )


class Stopping:
    """Whether a stop has begun, and the wait for what runs (``running()``: how many things still run)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[threading.Condition, float], object] | None = None,
    ) -> None:
        self.clock = clock  # and how drain() waits for a notify (injectable: tests never really wait)
        self.wait = wait or (lambda condition, seconds: condition.wait(seconds))
        self._begun = threading.Event()
        self._hurry = threading.Event()
        self._changed = threading.Condition()

    @property
    def begun(self) -> bool:
        return self._begun.is_set()

    def begin(self) -> None:
        self._begun.set()

    def reset(self) -> None:
        self._begun.clear()
        self._hurry.clear()

    def hurry(self) -> None:
        """Stop waiting now (a second Ctrl-C)."""
        self._hurry.set()
        self.notify()

    def notify(self) -> None:
        """Something that ran has ended: drain() looks again."""
        with self._changed:
            self._changed.notify_all()

    def drain(self, grace: float, running: Callable[[], int]) -> int:
        """Wait until ``running()`` is 0, ``grace`` seconds have passed, or hurry(); what still runs."""
        deadline = self.clock() + grace
        with self._changed:
            while True:
                left = running()
                remaining = deadline - self.clock()
                if left == 0 or remaining <= 0 or self._hurry.is_set():
                    return left
                self.wait(self._changed, min(remaining, POLL_S))
