"""What the doctor reports: findings (a rule saw a mistake) and checks it could not make."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    rule: str  # the rule's id, e.g. "source-no-change-detection"
    severity: Severity
    finding: str  # one line: what is wrong, with the names involved
    why: str  # what AWS does because of it
    fix: str  # how to fix it (console or CLI)


@dataclass(frozen=True)
class NotChecked:
    """A rule that could not decide: a call it needed failed (access denied, throttled...)."""

    rule: str
    reason: str  # e.g. "iam.GetRole answered AccessDenied"


@dataclass(frozen=True)
class Report:
    pipeline: str
    region: str
    findings: tuple[Finding, ...] = ()
    not_checked: tuple[NotChecked, ...] = ()
    skipped: tuple[str, ...] = ()  # rules about what apply will create (validate --online before apply)
    rules_run: int = 0
    seconds: float = 0.0
    calls: int = 0  # AWS calls made
    notes: tuple[str, ...] = field(default=())  # what the doctor does not look at, said once

    @property
    def clean(self) -> bool:
        return not self.findings

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    def to_json(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "region": self.region, "clean": self.clean,
                "findings": [asdict(f) for f in self.findings],
                "notChecked": [asdict(n) for n in self.not_checked], "skipped": list(self.skipped),
                "rulesRun": self.rules_run, "seconds": round(self.seconds, 3), "calls": self.calls,
                "notes": list(self.notes)}
