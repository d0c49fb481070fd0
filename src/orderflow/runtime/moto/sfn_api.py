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

``sfn_invalid_definition``. CreateStateMachine and UpdateStateMachine refuse a definition that is not
valid ASL with the error code ``InvalidDefinition`` (API reference, "Errors",
https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html), and a
message naming the problem as AWS does (``Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED:
...'``). moto raises its parser's exception class, which has no error code on the wire: boto3 sees an
empty code. moto also accepts a ``Next``, ``Default`` or ``StartAt`` naming no state (the execution
fails when it gets there); AWS refuses it as ``MISSING_TRANSITION_TARGET``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.exceptions import AWSError
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

# ------------------------------------------------------------------------- sfn_invalid_definition


class InvalidDefinition(AWSError):
    TYPE = "InvalidDefinition"
    STATUS = 400


def _invalid(kind: str, detail: str) -> InvalidDefinition:
    return InvalidDefinition(f"Invalid State Machine Definition: '{kind}: {detail}'")


def _missing_targets(machine: dict[str, Any], at: str) -> list[str]:
    """The guide's "MISSING_TRANSITION_TARGET": StartAt, Next, Default and Catch's Next name a state of
    the same States (branches and item processors are machines of their own)."""
    found = machine.get("States")
    states: dict[str, Any] = found if isinstance(found, dict) else {}
    problems = []
    if machine.get("StartAt") not in states:
        problems.append(f"Missing 'StartAt' target: {machine.get('StartAt')} at {at}/StartAt")
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = f"{at}/States/{name}"
        targets = [("Next", state.get("Next")), ("Default", state.get("Default"))]
        for index, rule in enumerate(state.get("Choices") or []):
            targets.append((f"Choices[{index}]/Next", rule.get("Next") if isinstance(rule, dict) else None))
        for index, catcher in enumerate(state.get("Catch") or []):
            targets.append(
                (f"Catch[{index}]/Next", catcher.get("Next") if isinstance(catcher, dict) else None)
            )
        problems += [
            f"Missing 'Next' target: {target} at {here}/{field}"
            for field, target in targets
            if isinstance(target, str) and target not in states
        ]
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                problems += _missing_targets(branch, f"{here}/Branches[{index}]")
        for field in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(field), dict):
                problems += _missing_targets(state[field], f"{here}/{field}")
    return problems


def _apply_invalid_definition(patcher: Patcher) -> None:
    original = StepFunctionsParserBackend._validate_definition

    def _validate_definition(definition: str) -> None:
        try:
            machine = json.loads(definition)
        except ValueError as exc:
            raise _invalid("INVALID_JSON_DESCRIPTION", str(exc)) from None
        if not isinstance(machine, dict):
            raise _invalid("SCHEMA_VALIDATION_FAILED", "The definition is not a JSON object at /")
        try:
            original(definition)
        except Exception as exc:  # moto's parser InvalidDefinition, which has no wire code
            message = str(getattr(exc, "message", None) or exc)
            raise _invalid("SCHEMA_VALIDATION_FAILED", message) from None
        problems = _missing_targets(machine, "")
        if problems:
            raise _invalid("MISSING_TRANSITION_TARGET", ", ".join(problems))

    patcher.replace(StepFunctionsParserBackend, "_validate_definition", staticmethod(_validate_definition))


SFN_INVALID_DEFINITION = REGISTRY.register(
    Patch(
        name="sfn_invalid_definition",
        kind="gap",
        summary=(
            "CreateStateMachine/UpdateStateMachine refuse an invalid definition with an empty error code "
            "(not InvalidDefinition), and accept a Next/Default/StartAt that names no state"
        ),
        apply=_apply_invalid_definition,
    )
)
