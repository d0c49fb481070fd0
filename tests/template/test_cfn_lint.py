"""cfn-lint over template.yaml: every finding (informational included) fails unless allow-listed here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from cfnlint.api import ManualArgs, lint
from cfnlint.helpers import REGIONS
from cfnlint.match import Match

from tests.template.template_support import ROOT

TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Allowed:
    rule: str
    message: str  # regex searched in the finding's message
    reason: str


ALLOWED = (
    Allowed(
        "I3011",
        r"(DeletionPolicy|UpdateReplacePolicy)' is a required property",
        "Tables and queues are deleted with the stack on purpose: `sam delete` of a dev/demo stack must "
        "leave nothing billable behind. Tables have point-in-time recovery for accidents.",
    ),
    Allowed(
        "E3006",
        r"Resource type 'AWS::SES::EmailIdentity' does not exist in '[a-z0-9-]+'",
        "SES is the mailer's only channel; the stack is deployable only in regions that offer SES.",
    ),
)


def describe(match: Match) -> str:
    return f"{match.rule.id} ({match.rule.severity}) line {match.linenumber}: {match.message}"


def allowed_by(match: Match) -> Allowed | None:
    for entry in ALLOWED:
        if match.rule.id == entry.rule and re.search(entry.message, match.message):
            return entry
    return None


def run_lint(text: str, regions: list[str] | None = None) -> list[Match]:
    """Every region cfn-lint knows by default, informational rules included; experimental rules left
    out (they are not stable across cfn-lint releases)."""
    return lint(text, config=ManualArgs(regions=regions or list(REGIONS), include_checks=["I"]))


@cache
def template_findings() -> tuple[Match, ...]:
    return tuple(run_lint(TEMPLATE.read_text(encoding="utf-8")))


def test_cfn_lint_finds_nothing_that_is_not_allow_listed():
    unexpected = [describe(m) for m in template_findings() if allowed_by(m) is None]
    assert not unexpected, "cfn-lint findings on template.yaml:\n" + "\n".join(unexpected)


def test_every_allow_list_entry_is_still_needed():
    """An entry nothing matches any more is a stale excuse: delete it."""
    used = {allowed_by(m) for m in template_findings()}
    stale = [f"{e.rule} /{e.message}/" for e in ALLOWED if e not in used]
    assert not stale, f"allow-list entries no longer needed: {stale}"


def test_cfn_lint_really_reports_errors():
    """The harness sees errors: a DynamoDB attribute of an unknown type must be reported."""
    text = TEMPLATE.read_text(encoding="utf-8")
    broken = text.replace("AttributeType: S", "AttributeType: Q", 1)
    assert broken != text
    findings = [m for m in run_lint(broken, regions=["us-east-1"]) if allowed_by(m) is None]
    assert any(m.rule.id.startswith("E") and "'Q'" in m.message for m in findings), [
        describe(m) for m in findings
    ]
