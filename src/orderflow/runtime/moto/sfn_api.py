"""Step Functions API gaps of moto 5.2.5 around executions: three patches on its response handlers.

``sfn_describe_output``. DescribeExecution's ``output`` is JSON text (API reference,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html). moto sends
an execution whose output is a JSON *string* as that string bare (``Hello`` instead of ``"Hello"``),
so ``json.loads(output)`` fails; the history's ExecutionSucceeded event has it right.

``sfn_history_order``. GetExecutionHistory honours ``reverseOrder`` ("Lists events in descending
order of their timeStamp") and pages with ``maxResults``/``nextToken``
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html). moto
ignores all three: the events always come oldest first, all at once.

``sfn_task_failure_cause``. SendTaskFailure's ``cause`` reaches the task's failure (API reference,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html; a Catch sees
it as ``Cause``). moto's handler reads ``error`` only and drops the cause.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from .registry import REGISTRY, Patch, Patcher

DEFAULT_PAGE = 1000  # the API's default and maximum maxResults


# ---------------------------------------------------------------------------- sfn_describe_output


def _apply_describe_output(patcher: Patcher) -> None:
    original = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        body = result.result if isinstance(result, ActionResult) else None
        if (
            isinstance(execution, ParserExecution)
            and isinstance(body, dict)
            and isinstance(execution.output, str)
            and "output" in body
        ):
            body["output"] = to_json_str(execution.output, separators=(",", ":"))
        return result

    patcher.replace(StepFunctionResponse, "describe_execution", describe_execution)


SFN_DESCRIBE_OUTPUT = REGISTRY.register(
    Patch(
        name="sfn_describe_output",
        kind="gap",
        summary='DescribeExecution sends an output that is a JSON string bare (Hello, not "Hello"): not JSON',
        apply=_apply_describe_output,
    )
)

# ------------------------------------------------------------------------------ sfn_history_order


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str) -> int:
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationException(f"Invalid Token: '{token}'") from exc
    if offset < 0:
        raise ValidationException(f"Invalid Token: '{token}'")
    return offset


def _apply_history_order(patcher: Patcher) -> None:
    def get_execution_history(self: Any) -> ActionResult:
        history = dict(self.stepfunction_backend.get_execution_history(self._get_param("executionArn")))
        events = list(history.get("events") or [])
        if self._get_param("reverseOrder"):
            events.reverse()
        size = int(self._get_param("maxResults") or 0) or DEFAULT_PAGE
        start = _offset(self._get_param("nextToken")) if self._get_param("nextToken") else 0
        history["events"] = events[start : start + size]
        history.pop("nextToken", None)
        if start + size < len(events):
            history["nextToken"] = _token(start + size)
        return ActionResult(history)

    patcher.replace(StepFunctionResponse, "get_execution_history", get_execution_history)


SFN_HISTORY_ORDER = REGISTRY.register(
    Patch(
        name="sfn_history_order",
        kind="gap",
        summary=(
            "GetExecutionHistory ignores reverseOrder, maxResults and nextToken "
            "(always every event, oldest first)"
        ),
        apply=_apply_history_order,
    )
)

# ------------------------------------------------------------------------- sfn_task_failure_cause


def _apply_task_failure_cause(patcher: Patcher) -> None:
    original = StepFunctionResponse.send_task_failure

    def send_task_failure(self: Any) -> Any:
        backend = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):  # no interpreter: nothing waits
            return original(self)
        backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    patcher.replace(StepFunctionResponse, "send_task_failure", send_task_failure)


SFN_TASK_FAILURE_CAUSE = REGISTRY.register(
    Patch(
        name="sfn_task_failure_cause",
        kind="gap",
        summary="SendTaskFailure drops the cause (the task fails with the error only)",
        apply=_apply_task_failure_cause,
    )
)
