"""Structure checks for an ASL definition, beyond what a grammar can see.

Each check returns a list of problems (empty = fine), so the tests can show all of them at once and
can prove each check on a deliberately broken copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
LAMBDA_INVOKE = re.compile(r"^arn:(?:aws[a-z-]*|\$\{Partition\}):states:::lambda:invoke(?:\.|$)")
LAMBDA_TRANSIENT_ERRORS = frozenset(
    {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException"}
)
# A Lambda environment that died or timed out (how Step Functions names them: the optimized
# lambda:invoke integration reports the errorType, the legacy ARN form Lambda.Unknown).
CRASH_ERRORS = frozenset(
    {"Lambda.Unknown", "Runtime.ExitError", "Runtime.Unknown", "Sandbox.Timedout", "States.Timeout"}
)
NOT_IDEMPOTENT = "Not idempotent"
BUSINESS_ERRORS = frozenset({"ValidationError", "ProductNotFound", "OutOfStock"})
BUSINESS_STATES = ("ValidateOrder", "CheckStock", "WriteOrder")
REJECTION_STATE = "OrderRejected"
TERMINAL_TYPES = frozenset({"Succeed", "Fail"})


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def substitution_problems(asl_text: str, substitutions: dict[str, Any]) -> list[str]:
    used = placeholders(asl_text)
    problems = [
        f"${{{name}}} has no DefinitionSubstitutions key" for name in sorted(used - set(substitutions))
    ]
    problems += [
        f"DefinitionSubstitutions key {name} is never used" for name in sorted(set(substitutions) - used)
    ]
    return problems


def machines(machine: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """The machine and every nested one (Parallel branches, Map item processors)."""
    yield path or "<root>", machine
    for name, state in machine.get("States", {}).items():
        for index, branch in enumerate(state.get("Branches", [])):
            yield from machines(branch, f"{path}{name}.Branches[{index}].")
        inner = state.get("ItemProcessor") or state.get("Iterator")
        if inner:
            yield from machines(inner, f"{path}{name}.ItemProcessor.")


def all_states(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for _, machine in machines(asl):
        yield from machine.get("States", {}).items()


def targets(state: dict[str, Any]) -> list[str]:
    found = [state["Next"]] if "Next" in state else []
    if "Default" in state:
        found.append(state["Default"])
    found += [choice["Next"] for choice in state.get("Choices", []) if "Next" in choice]
    found += [catcher["Next"] for catcher in state.get("Catch", []) if "Next" in catcher]
    return found


def reachable(machine: dict[str, Any], start: str) -> set[str]:
    states = machine.get("States", {})
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        todo += targets(states[name])
    return seen


def graph_problems(asl: dict[str, Any]) -> list[str]:
    problems = []
    for where, machine in machines(asl):
        states = machine.get("States", {})
        if machine.get("StartAt") not in states:
            problems.append(f"{where}: StartAt {machine.get('StartAt')!r} is not a state")
            continue
        for name, state in states.items():
            for target in targets(state):
                if target not in states:
                    problems.append(f"{where}{name}: goes to {target!r}, which does not exist")
            ends = state.get("End") is True or state.get("Type") in TERMINAL_TYPES
            if state.get("Type") != "Choice" and not ends and "Next" not in state:
                problems.append(f"{where}{name}: neither Next nor End")
        for name in sorted(set(states) - reachable(machine, machine["StartAt"])):
            problems.append(f"{where}{name}: unreachable from StartAt")
    return problems


def retry_problems(asl: dict[str, Any]) -> list[str]:
    problems = []
    for name, state in all_states(asl):
        if state.get("Type") != "Task":
            continue
        if "TimeoutSeconds" not in state and "TimeoutSecondsPath" not in state:
            problems.append(f"{name}: no TimeoutSeconds")
        retriers = state.get("Retry") or []
        if not retriers:
            problems.append(f"{name}: no Retry")
        for index, retrier in enumerate(retriers):
            for field in ("BackoffRate", "MaxAttempts"):
                if field not in retrier:
                    problems.append(f"{name}.Retry[{index}]: no {field}")
            if retrier.get("JitterStrategy") != "FULL":
                problems.append(f"{name}.Retry[{index}]: JitterStrategy is {retrier.get('JitterStrategy')!r}")
        if LAMBDA_INVOKE.match(str(state.get("Resource", ""))):
            retried = {error for retrier in retriers for error in retrier.get("ErrorEquals", [])}
            if "States.ALL" not in retried:
                for error in sorted(LAMBDA_TRANSIENT_ERRORS - retried):
                    problems.append(f"{name}: does not retry {error}")
            # Crash-safe tasks: an idempotent task retries a dead or timed-out environment; one that
            # is not says so in its Comment and retries none of those (the call may have happened).
            if NOT_IDEMPOTENT in str(state.get("Comment", "")):
                for error in sorted((CRASH_ERRORS | {"States.ALL"}) & retried):
                    problems.append(f"{name}: not idempotent, yet retries {error}")
            elif "States.ALL" not in retried:
                for error in sorted(CRASH_ERRORS - retried):
                    problems.append(
                        f"{name}: does not retry {error} (or say 'Not idempotent' in its Comment)"
                    )
    return problems


def business_catch_problems(asl: dict[str, Any]) -> list[str]:
    problems = []
    states = asl["States"]
    for name in BUSINESS_STATES:
        catchers = states.get(name, {}).get("Catch", [])
        business = [c for c in catchers if BUSINESS_ERRORS & set(c.get("ErrorEquals", []))]
        caught = sorted(e for c in business for e in c["ErrorEquals"])
        if caught != sorted(BUSINESS_ERRORS):
            problems.append(f"{name}: catches {caught}, expected exactly {sorted(BUSINESS_ERRORS)}")
        if any(c.get("Next") != REJECTION_STATE for c in business):
            problems.append(f"{name}: a business error does not go to {REJECTION_STATE}")
    # Once WriteOrder committed, nothing may reject the order any more.
    after_write = (
        reachable(asl, states.get("WriteOrder", {}).get("Next", "")) if "WriteOrder" in states else set()
    )
    if REJECTION_STATE in after_write:
        problems.append(f"{REJECTION_STATE} is reachable after WriteOrder committed the order")
    return problems


def worst_case_seconds(asl: dict[str, Any]) -> float:
    """The longest a run of the Task states in order can take: every attempt of every retrier timing
    out, with each back-off at its longest (no jitter)."""
    total = 0.0
    for state in asl["States"].values():
        if state["Type"] != "Task":
            continue
        timeout = state["TimeoutSeconds"]
        total += timeout  # the first attempt
        for retrier in state.get("Retry", []):
            attempts = retrier.get("MaxAttempts", 3)
            interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
            cap = retrier.get("MaxDelaySeconds", float("inf"))
            total += sum(timeout + min(interval * rate**k, cap) for k in range(attempts))
    return total
