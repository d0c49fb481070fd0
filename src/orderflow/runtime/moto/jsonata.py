"""JSONata for moto's ASL interpreter: the engine moto ships without, and AWS's added functions.

The gap (``sfn_jsonata``). moto 5.2.5 carries LocalStack's JSONata support for Step Functions whole
(``QueryLanguage``, ``{% %}`` in ``Arguments``/``Output``/``Assign``/``Condition``/``Items``/
``ItemSelector``/``ItemReader``/``ResultWriter``/timeouts, ``$states``, the variable store) except the
engine: ``moto.stepfunctions.parser.asl.jsonata.jsonata.eval_jsonata_expression`` calls a function
pointer that stays ``None`` (LocalStack fills it with a JVM bridge). The first ``{% %}`` of a JSONata
state fails with ``States.Runtime TypeError('NoneType' object is not callable)``, and so does every
JSONPath ``"x.$": "$variable"``, because moto reads workflow variables through the same stub.

The engine is jsonata2py (pinned in pyproject.toml), chosen by measurement: of the JSONata engines on
PyPI it passes the most of jsonata-js's own test suite and evaluates compiled expressions fastest
(``bench/jsonata_suite.py``; the table is in docs/asl-coverage.md).

What the patch changes:

* ``StringJSONata._eval_body`` (every ``{% %}``) and ``StringVariableSample._eval_body`` (a variable
  read from a JSONPath field) evaluate the expression with the engine, compiled once per expression
  text. moto composes a textual ``($states := {...}; $var := ...; expr)`` with every value encoded
  into the expression (strings unescaped: a quote in a variable broke it); here ``$states`` and the
  variables are passed as bindings.
* The result is checked as AWS documents ("Transforming data with JSONata in Step Functions",
  https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): an expression that
  returns nothing (undefined), a function, or fails to parse or evaluate fails the state with
  ``States.QueryEvaluationError`` (an ``EvaluationFailed`` event, then ``ExecutionFailed``), which
  Retry/Catch can name.
* Numbers are JSON numbers as JavaScript's jsonata gives them: an integral float (``2.0``) is ``2``.
* AWS's added functions (same page, "JSONata functions provided by Step Functions"): ``$partition``,
  ``$range``, ``$hash`` (MD5, SHA-1, SHA-256, SHA-384, SHA-512), ``$random`` (optional seed),
  ``$uuid`` (v4) and ``$parse`` (a JSON string to a value).
* A ``Condition`` that is not a boolean, and ``Seconds``/``TimeoutSeconds``/``HeartbeatSeconds``
  that are not non-negative integers, are ``States.QueryEvaluationError`` too (moto raises Python
  errors there, reported as ``States.Runtime``).
* moto's stub itself (``_eval_jsonata``) is filled, so any other textual caller evaluates too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

import jsonata2py
from jsonata2py.errors import JsonataError
from jsonata2py.parser.parser import BUILTIN_NAMES
from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import HeartbeatSecondsJSONata
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSecondsJSONata
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison import ConditionStringJSONata
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.seconds import SecondsJSONata
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

from .registry import REGISTRY, Patch, Patcher

UNDEFINED = jsonata2py.MISSING
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class QueryEvaluationError(Exception):
    """An expression failed (syntax, evaluation, or an AWS function's argument): its cause, one line."""


# ------------------------------------------------------------------- AWS's functions (the guide)


def _partition(array: Any, size: Any) -> list[Any]:
    if not isinstance(array, list):
        raise QueryEvaluationError("$partition: the first argument must be an array")
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size < 1 or int(size) != size:
        raise QueryEvaluationError("$partition: the chunk size must be a positive integer")
    step = int(size)
    return [array[i : i + step] for i in range(0, len(array), step)]


def _range(start: Any, end: Any, step: Any) -> list[Any]:
    for value in (start, end, step):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise QueryEvaluationError("$range: start, end and step must be integers")
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise QueryEvaluationError("$range: the step must not be 0")
    return list(range(start, end + (1 if step > 0 else -1), step))


def _hash(value: Any, algorithm: Any) -> str:
    name = HASH_ALGORITHMS.get(str(algorithm))
    if name is None:
        raise QueryEvaluationError(
            f"$hash: unsupported algorithm {algorithm!r} (one of {', '.join(HASH_ALGORITHMS)})"
        )
    if not isinstance(value, str):
        raise QueryEvaluationError("$hash: the value must be a string")
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


def _random(*seed: Any) -> float:
    if seed and seed[0] is not None and seed[0] is not UNDEFINED:
        return random.Random(seed[0]).random()  # noqa: S311 - documented as not cryptographic
    return random.random()  # noqa: S311 - $random is documented as not cryptographic


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise QueryEvaluationError("$parse: the argument must be a string")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise QueryEvaluationError(f"$parse: not JSON: {exc}") from None


AWS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}

# ------------------------------------------------------------------------------------- the engine

_factory = jsonata2py.JsonataExpressionFactory()
_compiled: dict[tuple[str, tuple[str, ...]], Any] = {}
_lock = threading.Lock()
_SHADOW = "__states_"  # the binding a shadowing name is read from


def _shadowed(expression: str, names: Any) -> tuple[str, ...]:
    """The names bound for ``expression`` that are also JSONata built-ins (``$count``, ``$random``).
    jsonata-js lets a binding hide a built-in (a variable named ``count`` is read as ``$count``); this
    engine resolves built-ins first unless the name is bound lexically, so those names are declared
    at the top of the expression (``($count := $__states_count; ...)``)."""
    return tuple(sorted(name for name in names if name in BUILTIN_NAMES and f"${name}" in expression))


def compiled(expression: str, shadowed: tuple[str, ...] = ()) -> Any:
    """The compiled expression (once per text and shadowed names), with AWS's functions;
    QueryEvaluationError on a syntax error."""
    key = (expression, shadowed)
    found = _compiled.get(key)
    if found is not None:
        return found
    source = expression
    if shadowed:
        declarations = "".join(f"${name} := ${_SHADOW}{name};" for name in shadowed)
        source = f"({declarations}\n{expression}\n)"
    try:
        found = _factory.compile(source)
    except JsonataError as exc:
        raise QueryEvaluationError(_describe(exc)) from None
    for name, function in AWS_FUNCTIONS.items():
        found.register_function(f"{_SHADOW}{name}" if name in BUILTIN_NAMES else name, function)
    with _lock:
        return _compiled.setdefault(key, found)


def clear_cache() -> None:
    with _lock:
        _compiled.clear()


def _describe(exc: JsonataError) -> str:
    code = getattr(exc, "error_code", None)
    message = " ".join(str(getattr(exc, "message", None) or exc).split())
    return f"{code}: {message}" if code else message


def evaluate(expression: str, bindings: dict[str, Any]) -> Any:
    """``expression`` with ``$name`` bound to each value of ``bindings`` (no input document): the
    result as JSON values, or :data:`UNDEFINED`. QueryEvaluationError when it fails."""
    # AWS's $random (it takes a seed) hides JSONata's; a variable hides a built-in of its name.
    functions = [name for name in AWS_FUNCTIONS if name in BUILTIN_NAMES and name not in bindings]
    shadowed = _shadowed(expression, [*bindings, *functions])
    expr = compiled(expression, shadowed)
    bound = jsonata2py.JsonataBindings()
    for name, value in bindings.items():
        bound.bind_value(f"{_SHADOW}{name}" if name in shadowed else name, value)
    try:
        result = expr.evaluate(UNDEFINED, bound)
    except QueryEvaluationError:
        raise
    except JsonataError as exc:
        cause = exc.__cause__
        if isinstance(cause, QueryEvaluationError):  # raised by one of AWS's functions
            raise QueryEvaluationError(str(cause)) from None
        raise QueryEvaluationError(_describe(exc)) from None
    except RecursionError:
        raise QueryEvaluationError("U1001: Stack overflow error") from None
    return result


def to_json_value(value: Any) -> Any:
    """A result as JSON (numbers as JavaScript prints them); ValueError for a function, regex..."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a JSON number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    raise ValueError(f"unsupported result type {type(value).__name__}")


# ------------------------------------------------------------------------------ the interpreter side


def _variables(env: Any) -> dict[str, Any]:
    store = env.variable_store
    variables = dict(getattr(store, "_outer_scope", {}))
    variables.update(getattr(store, "_inner_scope", {}))
    return variables


def _states(env: Any) -> dict[str, Any]:
    return dict(env.states._states_data)


def _fail(env: Any, cause: str) -> FailureEventException:
    """States.QueryEvaluationError: an EvaluationFailed event in the history, then the failure."""
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(cause=cause, error=error_name.error_name)
    failure = FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),  # type: ignore[typeddict-item]
        )
    )
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=EventDetails(  # type: ignore[typeddict-item]
            evaluationFailedEventDetails=failure.get_evaluation_failed_event_details()
        ),
    )
    return failure


def _checked(env: Any, expression: str, bindings: dict[str, Any]) -> Any:
    try:
        result = evaluate(expression, bindings)
    except QueryEvaluationError as exc:
        raise _fail(env, f"The JSONata expression '{expression}' could not be evaluated: {exc}") from None
    if result is UNDEFINED:
        raise _fail(env, f"The JSONata expression '{expression}' returned nothing (undefined).")
    try:
        value = to_json_value(result)
    except ValueError:
        raise _fail(
            env, f"The JSONata expression '{expression}' returned an unsupported result type."
        ) from None
    # A result may share structure with the bindings (the input, a variable): the interpreter
    # mutates its values later (ResultPath), so it gets its own copy.
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def resolve_templates(env: Any, value: Any) -> Any:
    """``value`` (a definition field moto does not parse) with every ``"{% expression %}"`` string in it
    replaced by the expression's value over ``$states`` and the variables, as a JSONata state's fields."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        bindings = _variables(env)
        bindings["states"] = _states(env)
        return _checked(env, value[2:-2].strip(), bindings)
    if isinstance(value, dict):
        return {key: resolve_templates(env, item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_templates(env, item) for item in value]
    return value


def _eval_jsonata(self: Any, env: Any) -> None:
    bindings = _variables(env)
    bindings["states"] = _states(env)
    env.stack.append(_checked(env, self.expression, bindings))


def _eval_variable_sample(self: Any, env: Any) -> None:
    bindings = _variables(env)
    if self.query_language_mode == QueryLanguageMode.JSONata:
        bindings["states"] = _states(env)
    env.stack.append(_checked(env, self.expression, bindings))


def _eval_text(expression: str) -> Any:
    """moto's stub, filled: a composed ``(declarations; expression)`` text, no input."""
    try:
        result = evaluate(expression, {})
    except QueryEvaluationError as exc:
        raise moto_jsonata.JSONataException("QueryEvaluationError", str(exc)) from None
    return None if result is UNDEFINED else to_json_value(result)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else "array" if isinstance(value, list) else "object"


def _eval_condition(self: Any, env: Any) -> None:
    self.string_jsonata.eval(env=env)
    if not isinstance(env.stack[-1], bool):
        value = env.stack.pop()
        raise _fail(
            env,
            f"The JSONata expression '{self.string_jsonata.expression}' specified for the field "
            f"'Condition' returned an unexpected result type. Expected 'boolean', but was "
            f"'{_type_name(value)}' for value: {json.dumps(value)}",
        )


def _seconds_of(field: str) -> Any:
    def seconds(self: Any, env: Any) -> int:
        self.string_jsonata.eval(env=env)
        value = env.stack.pop()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or int(value) != value:
            raise _fail(
                env,
                f"The JSONata expression '{self.string_jsonata.expression}' specified for the field "
                f"'{field}' returned an unexpected result type. Expected a non-negative integer, but was "
                f"'{_type_name(value)}' for value: {json.dumps(value)}",
            )
        return int(value)

    return seconds


def _apply_jsonata(patcher: Patcher) -> None:
    patcher.replace(string_expression.StringJSONata, "_eval_body", _eval_jsonata)
    # Fields whose expression must give a type: a wrong one is a States.QueryEvaluationError
    # ("Handling errors in Step Functions workflows": "a type constraint error"), not a Python error.
    patcher.replace(ConditionStringJSONata, "_eval_body", _eval_condition)
    patcher.replace(SecondsJSONata, "_get_wait_seconds", _seconds_of("Seconds"))
    patcher.replace(TimeoutSecondsJSONata, "_eval_seconds", _seconds_of("TimeoutSeconds"))
    patcher.replace(HeartbeatSecondsJSONata, "_eval_seconds", _seconds_of("HeartbeatSeconds"))
    patcher.replace(string_expression.StringVariableSample, "_eval_body", _eval_variable_sample)
    patcher.replace(moto_jsonata, "_eval_jsonata", _eval_text)


SFN_JSONATA = REGISTRY.register(
    Patch(
        name="sfn_jsonata",
        kind="gap",
        summary=(
            "the ASL interpreter has no JSONata engine (an empty stub): every {% %} expression and every "
            "workflow variable read fails with States.Runtime TypeError('NoneType' object is not callable)"
        ),
        apply=_apply_jsonata,
    )
)
