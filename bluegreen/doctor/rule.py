"""A rule: an id, a severity and an async check over the facts that yields findings.

Rules are registered by the `rule` decorator in the module of their area (rules/*.py); a
check returns the findings it saw (empty: nothing wrong). A check that needs a fact the
account would not give raises `facts.Unavailable`, and the report says the rule was not
checked and why, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bluegreen.doctor.finding import Finding, Severity

if TYPE_CHECKING:
    from bluegreen.doctor.facts import Facts

Check = Callable[["Facts"], Awaitable[list[Finding]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity  # the usual severity; a check may report a milder one
    area: str  # sources, artifacts, ecs, iam, network
    check: Check

    def finding(self, finding: str, why: str, fix: str, severity: Severity | None = None) -> Finding:
        return Finding(self.id, severity or self.severity, finding, why, fix)


RULES: list[Rule] = []


def rule(id: str, severity: Severity, area: str) -> Callable[[Check], Rule]:
    """Register the decorated check as a rule (ids are unique)."""

    def register(check: Check) -> Rule:
        if any(r.id == id for r in RULES):
            raise ValueError(f"two rules named {id}")
        made = Rule(id, severity, area, check)
        RULES.append(made)
        return made

    return register
