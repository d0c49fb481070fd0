"""Amazon States Language gaps of moto's interpreter: Choice without a match, Assign literals, and the
size limits of workflow variables. Three patches:

``sfn_no_choice_matched``. A Choice state whose rules all fail and that has no ``Default`` fails with
``States.NoChoiceMatched`` (the ASL specification, "Choice State"; "Handling errors in Step Functions
workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). moto
raises a Python RuntimeError, which ends the execution as ``States.Runtime``.

``sfn_assign_literals``. A string value of ``Assign`` is the JSON string of the definition ("Passing
data between states with variables",
https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html). moto's parser strips the
quotes and keeps the escapes: ``"María"`` sent as JSON (``"Mar\\u00eda"``, what ``json.dumps`` and so
boto3 users write) is stored as the six characters ``Mar\\u00eda``, ``"a\\"b"`` keeps its backslash.

``sfn_variable_limits``. The guide's size limits for variables (same page, "Variable size limits"):
one variable at most 256 KiB, the variables of one ``Assign`` at most 256 KiB together, all the
variables of an execution at most 10 MiB. moto enforces none. The guide gives the limits, not the
error's name: an assignment past them fails the state with ``States.Runtime`` (the error AWS uses
for a definition that cannot run), which Retry and Catch do not match, and assigns nothing.
"""

from __future__ import annotations

import json
from typing import Any

from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    HistoryEventType,
    MapRunFailedEventDetails,
)
from moto.stepfunctions.parser.asl.antlt4utils.antlr4utils import from_string_literal
from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (
    AssignTemplateValueTerminalLit,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from .registry import REGISTRY, Patch, Patcher

KIB = 1024
MAX_VARIABLE_BYTES = 256 * KIB
MAX_ASSIGN_BYTES = 256 * KIB
MAX_EXECUTION_VARIABLE_BYTES = 10 * 1024 * KIB


def states_failure(
    env: Any,
    error: StatesErrorNameType,
    cause: str,
    event_type: HistoryEventType = HistoryEventType.ExecutionFailed,
) -> FailureEventException:
    """A failure named ``error``. As ExecutionFailed (the default) it ends the execution past Retry and
    Catch; as MapRunFailed it fails the state as a Task failure does, for Retry and Catch to see."""
    error_name = StatesErrorName(typ=error)
    details: Any = (
        {"executionFailedEventDetails": ExecutionFailedEventDetails(error=error_name.error_name, cause=cause)}
        if event_type == HistoryEventType.ExecutionFailed
        else {"mapRunFailedEventDetails": MapRunFailedEventDetails(error=error_name.error_name, cause=cause)}
    )
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=event_type,
            event_details=EventDetails(**details),  # type: ignore[typeddict-item]
        )
    )


# -------------------------------------------------------------------------- sfn_no_choice_matched


def _apply_no_choice_matched(patcher: Patcher) -> None:
    original = StateChoice._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        try:
            original(self, env)
        except RuntimeError as exc:
            if not (exc.args and str(exc.args[0]).startswith("No branching option reached")):
                raise
            raise states_failure(
                env,
                StatesErrorNameType.StatesNoChoiceMatched,
                f"No Choice Rule matched and no Default was specified for the state '{self.name}'.",
            ) from None

    patcher.replace(StateChoice, "_eval_body", _eval_body)


SFN_NO_CHOICE_MATCHED = REGISTRY.register(
    Patch(
        name="sfn_no_choice_matched",
        kind="gap",
        summary=(
            "a Choice state without a matching rule or a Default ends the execution as States.Runtime "
            "(a Python RuntimeError), not States.NoChoiceMatched"
        ),
        apply=_apply_no_choice_matched,
    )
)

# ---------------------------------------------------------------------------- sfn_assign_literals


def _apply_assign_literals(patcher: Patcher) -> None:
    def visit_literal(self: Any, ctx: Any) -> Any:
        return AssignTemplateValueTerminalLit(value=from_string_literal(ctx.string_literal()))

    original_jsonata = Preprocessor.visitAssign_template_value_terminal_string_jsonata

    def visit_jsonata(self: Any, ctx: Any) -> Any:
        if self._get_current_query_language().query_language_mode == QueryLanguageMode.JSONata:
            return original_jsonata(self, ctx)
        # under JSONPath a "{% ... %}" string is a plain string
        return AssignTemplateValueTerminalLit(value=from_string_literal(ctx.string_jsonata()))

    patcher.replace(Preprocessor, "visitAssign_template_value_terminal_string_literal", visit_literal)
    patcher.replace(Preprocessor, "visitAssign_template_value_terminal_string_jsonata", visit_jsonata)


SFN_ASSIGN_LITERALS = REGISTRY.register(
    Patch(
        name="sfn_assign_literals",
        kind="gap",
        summary=(
            "a string value of Assign keeps the JSON escapes of the definition "
            '("Mar\\u00eda" is stored as the characters Mar\\u00eda, \\" keeps its backslash)'
        ),
        apply=_apply_assign_literals,
    )
)

# ---------------------------------------------------------------------------- sfn_variable_limits


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def _apply_variable_limits(patcher: Patcher) -> None:
    def _eval_body(self: Any, env: Any) -> None:
        declarations: dict[str, Any] = {}
        for binding in self.declaration_bindings:  # as moto: every value first, then the assignments
            binding.eval(env=env)
            declarations.update(env.stack.pop())
        sizes = {name: _size(value) for name, value in declarations.items()}
        for name, size in sizes.items():
            if size > MAX_VARIABLE_BYTES:
                raise states_failure(
                    env,
                    StatesErrorNameType.StatesRuntime,
                    f"The variable '{name}' is {size} bytes, "
                    f"over the {MAX_VARIABLE_BYTES}-byte limit of a variable.",
                )
        total = sum(sizes.values())
        if total > MAX_ASSIGN_BYTES:
            raise states_failure(
                env,
                StatesErrorNameType.StatesRuntime,
                f"The variables of this Assign are {total} bytes together, over the {MAX_ASSIGN_BYTES}-byte "
                "limit of one Assign.",
            )
        store = env.variable_store
        current = {**getattr(store, "_outer_scope", {}), **getattr(store, "_inner_scope", {}), **declarations}
        stored = sum(_size(value) for value in current.values())
        if stored > MAX_EXECUTION_VARIABLE_BYTES:
            raise states_failure(
                env,
                StatesErrorNameType.StatesRuntime,
                f"The execution's variables would be {stored} bytes, over the "
                f"{MAX_EXECUTION_VARIABLE_BYTES}-byte limit of an execution.",
            )
        for name, value in declarations.items():
            store.set(variable_identifier=name, variable_value=value)

    patcher.replace(AssignDecl, "_eval_body", _eval_body)


SFN_VARIABLE_LIMITS = REGISTRY.register(
    Patch(
        name="sfn_variable_limits",
        kind="gap",
        summary=(
            "workflow variables have no size limits (AWS: 256 KiB a variable, 256 KiB an Assign, "
            "10 MiB an execution)"
        ),
        apply=_apply_variable_limits,
    )
)
