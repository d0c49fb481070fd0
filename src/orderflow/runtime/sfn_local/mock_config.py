"""Step Functions Local mock configuration files (``MockConfigFile.json``) on moto's ASL interpreter.

The file format is the one AWS documents for Step Functions Local ("Using mocked service
integrations for testing in Step Functions Local" and "Configuration file for mocked service
integrations")::

    {
      "StateMachines": {
        "<state machine name>": {
          "TestCases": {"<test case>": {"<state name>": "<mocked response name>"}}
        }
      },
      "MockedResponses": {
        "<mocked response name>": {
          "0":   {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "..."}},
          "1-2": {"Return": {...any JSON...}}
        }
      }
    }

``load_mock_config`` reads and validates a file strictly: every problem is reported at start-up as
one line naming the file and the JSON path (``MockConfigFile.json: MockedResponses.X."1-3":
overlaps "2"``), never as a confusing failure in the middle of an execution.

``orderflow.runtime.sfn_local.install_mock_config`` makes moto's executing Step Functions backend honour the
configuration the way Step Functions Local does (the moto side is the ``sfn_mock_config`` patch in
``orderflow.runtime.moto.sfn_local_hooks``):

* ``StartExecution`` on ``<state machine ARN>#<test case>`` runs that test case; the execution ARN is
  the ordinary ``...:execution:<state machine name>:<name>``, so DescribeExecution, ListExecutions
  (on the plain state machine ARN) and GetExecutionHistory work unchanged. A bare trailing ``#``
  runs the state machine unmocked.
* A Task state listed in the test case never calls its service: each invocation takes the next
  mocked response of that state. The counter is per state and per execution and advances on every
  invocation, retries included (so ``"0-1"`` Throw then ``"2"`` Return succeeds on the third
  attempt, and a state entered again later, e.g. in a loop or the next Map iteration, continues
  where it stopped).
* States not listed run for real (hybrid test cases).
* An invocation with no mocked response fails the execution with ``States.Runtime``, which, as on
  AWS, neither ``Retry`` nor ``Catch`` (not even ``States.ALL``) intercepts.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderflow.runtime.sfn_local.errors import MockConfigError

__all__ = [
    "AttemptRange",
    "MockConfig",
    "MockConfigError",
    "MockTestCase",
    "MockedResponse",
    "ReturnResponse",
    "ThrowResponse",
    "load_mock_config",
    "parse_mock_config",
    "state_names_by_type",
    "validate_against_definitions",
]


# --------------------------------------------------------------------------------------------------
# The validated model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnResponse:
    """A successful mocked invocation: ``payload`` becomes the Task's result (any JSON value)."""

    payload: Any


@dataclass(frozen=True)
class ThrowResponse:
    """A failed mocked invocation: the Task fails with ``error`` / ``cause`` (Retry/Catch see it)."""

    error: str
    cause: str


@dataclass(frozen=True)
class AttemptRange:
    """One entry of a mocked response: invocations ``start``..``end`` (inclusive) get ``response``."""

    key: str
    start: int
    end: int
    response: ReturnResponse | ThrowResponse


@dataclass(frozen=True)
class MockedResponse:
    """A named entry of ``MockedResponses``; ``ranges`` are sorted, contiguous and start at 0."""

    name: str
    ranges: tuple[AttemptRange, ...]

    @property
    def attempts(self) -> int:
        """How many invocations this mocked response covers."""
        return self.ranges[-1].end + 1

    def response_for(self, invocation: int) -> ReturnResponse | ThrowResponse | None:
        """The response of the ``invocation``-th call (0-based), or None when none is defined."""
        for attempt_range in self.ranges:
            if attempt_range.start <= invocation <= attempt_range.end:
                return attempt_range.response
        return None


@dataclass(frozen=True)
class MockTestCase:
    """``StateMachines.<state_machine>.TestCases.<name>``: state name -> mocked response name."""

    state_machine: str
    name: str
    states: Mapping[str, str]


@dataclass(frozen=True)
class MockConfig:
    """A validated mock configuration file."""

    source: str
    test_cases: Mapping[str, Mapping[str, MockTestCase]]
    mocked_responses: Mapping[str, MockedResponse]

    def test_case(self, state_machine: str, test_case: str) -> MockTestCase | None:
        return self.test_cases.get(state_machine, {}).get(test_case)


# --------------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RANGE = re.compile(r"(\d+)(?:-(\d+))?\Z")


class _JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers keys that appeared more than once."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj and key not in obj.duplicates:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _json_path(parts: Iterable[str]) -> str:
    return ".".join(part if _IDENTIFIER.match(part) else json.dumps(part) for part in parts)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, path: tuple[str, ...], message: str) -> MockConfigError:
        where = _json_path(path) if path else "top level"
        return MockConfigError(f"{self.source}: {where}: {message}")

    def obj(self, value: Any, path: tuple[str, ...]) -> _JsonObject:
        if not isinstance(value, dict):
            raise self.error(path, f"expected an object, got {_describe(value)}")
        if isinstance(value, _JsonObject) and value.duplicates:
            raise self.error(path, f"duplicate key {json.dumps(value.duplicates[0])}")
        return value if isinstance(value, _JsonObject) else _object_pairs(list(value.items()))

    def keys(
        self, obj: Mapping[str, Any], path: tuple[str, ...], allowed: tuple[str, ...], required: bool
    ) -> None:
        for key in obj:
            if key not in allowed:
                expected = " or ".join(json.dumps(k) for k in allowed)
                raise self.error(path, f"unknown key {json.dumps(key)} (expected {expected})")
        if required:
            for key in allowed:
                if key not in obj:
                    raise self.error(path, f"missing required key {json.dumps(key)}")

    # ---- MockedResponses -------------------------------------------------------------------

    def mocked_response(self, name: str, raw: Any) -> MockedResponse:
        path = ("MockedResponses", name)
        entries = self.obj(raw, path)
        if not entries:
            raise self.error(path, 'defines no attempts (add at least "0")')
        ranges = [self.attempt_range(name, key, value) for key, value in entries.items()]
        ranges.sort(key=lambda r: (r.start, r.end))
        first = ranges[0]
        if first.start != 0:
            raise self.error(
                (*path, first.key), f'attempts must start at "0" ({self._missing(0, first.start - 1)})'
            )
        for previous, current in itertools.pairwise(ranges):
            if current.start <= previous.end:
                raise self.error((*path, previous.key), f"overlaps {json.dumps(current.key)}")
            if current.start > previous.end + 1:
                raise self.error(
                    (*path, current.key),
                    f"gap before it: {self._missing(previous.end + 1, current.start - 1)}"
                    " (attempt ranges must be contiguous)",
                )
        return MockedResponse(name=name, ranges=tuple(ranges))

    @staticmethod
    def _missing(start: int, end: int) -> str:
        return (
            f"attempt {start} is not defined" if start == end else f"attempts {start}-{end} are not defined"
        )

    def attempt_range(self, name: str, key: str, raw: Any) -> AttemptRange:
        path = ("MockedResponses", name, key)
        match = _RANGE.match(key)
        if not match:
            raise self.error(path, 'attempt key must be "N" or "N-M" (e.g. "0", "1-2")')
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        if end < start:
            raise self.error(path, f"range ends ({end}) before it starts ({start})")
        entry = self.obj(raw, path)
        self.keys(entry, path, ("Return", "Throw"), required=False)
        if "Return" in entry and "Throw" in entry:
            raise self.error(path, 'has both "Return" and "Throw" (use exactly one)')
        response: ReturnResponse | ThrowResponse
        if "Return" in entry:
            response = ReturnResponse(payload=_plain(entry["Return"]))
        elif "Throw" in entry:
            response = self.throw(entry["Throw"], (*path, "Throw"))
        else:
            raise self.error(path, 'needs "Return" or "Throw"')
        return AttemptRange(key=key, start=start, end=end, response=response)

    def throw(self, raw: Any, path: tuple[str, ...]) -> ThrowResponse:
        throw = self.obj(raw, path)
        self.keys(throw, path, ("Error", "Cause"), required=False)
        error = throw.get("Error")
        if error is None:
            raise self.error(path, 'missing required key "Error"')
        if not isinstance(error, str) or not error:
            raise self.error((*path, "Error"), "must be a non-empty string")
        cause = throw.get("Cause", "")
        if not isinstance(cause, str):
            raise self.error((*path, "Cause"), f"must be a string, got {_describe(cause)}")
        return ThrowResponse(error=error, cause=cause)

    # ---- StateMachines ---------------------------------------------------------------------

    def state_machine(
        self, name: str, raw: Any, responses: Mapping[str, MockedResponse]
    ) -> dict[str, MockTestCase]:
        path = ("StateMachines", name)
        machine = self.obj(raw, path)
        self.keys(machine, path, ("TestCases",), required=True)
        cases_path = (*path, "TestCases")
        cases = self.obj(machine["TestCases"], cases_path)
        test_cases: dict[str, MockTestCase] = {}
        for case_name, raw_case in cases.items():
            case_path = (*cases_path, case_name)
            case = self.obj(raw_case, case_path)
            states: dict[str, str] = {}
            for state_name, response_name in case.items():
                state_path = (*case_path, state_name)
                if not isinstance(response_name, str):
                    raise self.error(
                        state_path,
                        f"expected the name of a mocked response, got {_describe(response_name)}",
                    )
                if response_name not in responses:
                    raise self.error(
                        state_path,
                        f"mocked response {json.dumps(response_name)} is not defined in MockedResponses",
                    )
                states[state_name] = response_name
            test_cases[case_name] = MockTestCase(state_machine=name, name=case_name, states=states)
        return test_cases

    def config(self, document: Any) -> MockConfig:
        root = self.obj(document, ())
        self.keys(root, (), ("StateMachines", "MockedResponses"), required=True)
        raw_responses = self.obj(root["MockedResponses"], ("MockedResponses",))
        responses = {name: self.mocked_response(name, raw) for name, raw in raw_responses.items()}
        raw_machines = self.obj(root["StateMachines"], ("StateMachines",))
        test_cases = {name: self.state_machine(name, raw, responses) for name, raw in raw_machines.items()}
        return MockConfig(source=self.source, test_cases=test_cases, mocked_responses=responses)


def _plain(value: Any) -> Any:
    """Decoded JSON with plain dicts (no duplicate-tracking subclass) for payloads."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def parse_mock_config(text: str, source: str = "MockConfigFile.json") -> MockConfig:
    """Validate the JSON text of a mock configuration file; ``source`` names it in errors."""
    try:
        document = json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        raise MockConfigError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return _Validator(source).config(document)


def load_mock_config(path: str | Path) -> MockConfig:
    """Read and validate a mock configuration file; raises MockConfigError naming the place."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MockConfigError(f"{source}: cannot read the mock configuration file: {reason}") from None
    return parse_mock_config(text, source)


# --------------------------------------------------------------------------------------------------
# Validation against deployed state machine definitions
# --------------------------------------------------------------------------------------------------


def state_names_by_type(definition: str | Mapping[str, Any]) -> dict[str, str]:
    """Every state of an ASL definition, nested Parallel branches and Map iterators included: name -> Type."""
    document = json.loads(definition) if isinstance(definition, str) else definition
    names: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            states = node.get("States")
            if isinstance(states, Mapping):
                for name, state in states.items():
                    if isinstance(state, Mapping):
                        names[name] = str(state.get("Type", ""))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(document)
    return names


def validate_against_definitions(
    config: MockConfig,
    definitions: Mapping[str, str | Mapping[str, Any]],
    *,
    require_state_machines: bool = False,
) -> None:
    """Check that each test case only names Task states that exist in its deployed state machine.

    ``definitions`` maps state machine name -> ASL definition (JSON text or decoded). State machines
    of the file that are not in ``definitions`` are skipped unless ``require_state_machines``.
    Raises MockConfigError naming the file and the JSON path of the first offending entry.
    """
    validator = _Validator(config.source)
    for machine, cases in config.test_cases.items():
        if machine not in definitions:
            if require_state_machines:
                known = ", ".join(sorted(definitions)) or "none"
                raise validator.error(
                    ("StateMachines", machine), f"no deployed state machine has this name (deployed: {known})"
                )
            continue
        states = state_names_by_type(definitions[machine])
        for case in cases.values():
            for state_name in case.states:
                path = ("StateMachines", machine, "TestCases", case.name, state_name)
                state_type = states.get(state_name)
                if state_type is None:
                    raise validator.error(path, f"state machine {machine} has no state with this name")
                if state_type != "Task":
                    raise validator.error(
                        path, f"is a {state_type} state; only Task states can take mocked responses"
                    )
