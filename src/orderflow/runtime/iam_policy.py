"""IAM identity-policy evaluation, as AWS evaluates it, with nothing of moto: policy documents parsed
into statements, one (action, resource, condition context) check decided against them, and what a
DynamoDB request asks to be authorised for (per table, per transaction item, index ARNs).

What is covered (see the IAM User Guide's "Policy evaluation logic" and "IAM JSON policy elements"):
actions and resources with ``*``/``?`` wildcards, ``NotAction``/``NotResource``, explicit ``Deny`` over
``Allow``, and the condition operators in ``CONDITION_OPERATORS``; a statement with any other operator
does not apply. ``runtime/moto/iam.py`` feeds it moto's requests and roles.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

CONDITION_OPERATORS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    """An IAM wildcard (``*`` any run, ``?`` one character) as a compiled regex."""
    translated = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text)
    return re.compile(f"^{translated}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass(frozen=True)
class Statement:
    effect: str  # Allow | Deny
    policy: str  # the policy it comes from (name or ARN)
    sid: str | None
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] | None = None
    condition: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def parse(cls, raw: dict[str, Any], policy: str) -> Statement:
        return cls(
            effect=str(raw.get("Effect", "")),
            policy=policy,
            sid=raw.get("Sid"),
            actions=tuple(_as_list(raw.get("Action"))),
            not_actions=tuple(_as_list(raw["NotAction"])) if "NotAction" in raw else None,
            resources=tuple(_as_list(raw.get("Resource"))),
            not_resources=tuple(_as_list(raw["NotResource"])) if "NotResource" in raw else None,
            condition=dict(raw.get("Condition") or {}),
        )

    def _matches_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(_pattern(p, True).match(action) for p in self.not_actions)
        return any(_pattern(p, True).match(action) for p in self.actions)

    def _matches_resource(self, resource: str) -> bool:
        if self.not_resources is not None:
            return not any(_pattern(p, False).match(resource) for p in self.not_resources)
        return any(_pattern(p, False).match(resource) for p in self.resources)

    def _matches_condition(self, context: dict[str, str]) -> bool:
        """True when every condition holds; a condition this evaluator does not know never holds."""
        for operator, tests in self.condition.items():
            if operator not in CONDITION_OPERATORS or not isinstance(tests, dict):
                return False
            for key, wanted in tests.items():
                value = context.get(key.lower())
                if value is None:
                    return operator.startswith("StringNot")
                patterns = _as_list(wanted)
                if operator in ("StringEquals", "StringNotEquals"):
                    hit = value in patterns
                else:
                    hit = any(fnmatch.fnmatchcase(value, p) for p in patterns)
                if hit == operator.startswith("StringNot"):
                    return False
        return True

    def applies(self, action: str, resource: str, context: dict[str, str]) -> bool:
        return (
            self._matches_action(action)
            and self._matches_resource(resource)
            and self._matches_condition(context)
        )

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Effect": self.effect}
        if self.not_actions is not None:
            out["NotAction"] = list(self.not_actions)
        else:
            out["Action"] = list(self.actions)
        if self.not_resources is not None:
            out["NotResource"] = list(self.not_resources)
        else:
            out["Resource"] = list(self.resources)
        if self.condition:
            out["Condition"] = self.condition
        return out


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: Statement | None = None  # the Deny statement that applied
    allowed_by: Statement | None = None


def parse_policies(documents: Iterable[tuple[str, Any]]) -> list[Statement]:
    """(policy name, document as dict or JSON text) -> every statement, in order."""
    statements = []
    for name, document in documents:
        doc = json.loads(document) if isinstance(document, str) else document
        raw = doc.get("Statement") or []
        for item in raw if isinstance(raw, list) else [raw]:
            statements.append(Statement.parse(item, name))
    return statements


def evaluate(
    statements: Iterable[Statement], action: str, resource: str, context: dict[str, str] | None = None
) -> Decision:
    """Identity-policy evaluation: an applying Deny wins, else an applying Allow, else implicit deny."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    allowed_by = None
    for statement in statements:
        if not statement.applies(action, resource, context):
            continue
        if statement.effect == "Deny":
            return Decision(False, explicit_deny=statement)
        if statement.effect == "Allow" and allowed_by is None:
            allowed_by = statement
    return Decision(allowed_by is not None, allowed_by=allowed_by)


# ======================================================================= what a request asks for

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class Check:
    action: str  # service:Operation
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def dynamodb_checks(operation: str, body: dict[str, Any], region: str, account: str) -> list[Check]:
    """What DynamoDB authorises for one request: per table, per transaction item, index ARNs."""

    def table(name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:dynamodb:{region}:{account}:table/{name}"

    if operation in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for item in body.get("TransactItems") or []:
            for kind, spec in item.items():
                action = _TRANSACT_ACTIONS.get(kind)
                if action and isinstance(spec, dict) and spec.get("TableName"):
                    checks.append(Check(f"dynamodb:{action}", table(spec["TableName"])))
        return checks
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Check(f"dynamodb:{operation}", table(name)) for name in body.get("RequestItems") or {}]
    if body.get("StreamArn"):
        return [Check(f"dynamodb:{operation}", str(body["StreamArn"]))]
    name = body.get("TableName")
    if not name:
        return [Check(f"dynamodb:{operation}", "*")]
    resource = table(name)
    if operation in ("Query", "Scan") and body.get("IndexName"):
        resource += f"/index/{body['IndexName']}"
    return [Check(f"dynamodb:{operation}", resource)]
