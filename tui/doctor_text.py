"""The doctor's report as terminal lines: errors first, then warnings, each with why and fix;
then the rules it could not check and why; then what it does not look at."""

from __future__ import annotations

import textwrap
from typing import Any

import click

MARKS = {"error": ("✗", "red"), "warning": ("!", "yellow")}
WIDTH = 100


def report_lines(report: Any, color: bool = True) -> list[str]:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    errors, warnings = report.by_severity("error"), report.by_severity("warning")
    head = (f"pipeline {report.pipeline} in {report.region}: {report.rules_run} rules, "
            f"{_count(len(errors), 'error')}, {_count(len(warnings), 'warning')}"
            f" ({report.calls} AWS calls, {report.seconds:.1f} s)")
    lines = [style(head, bold=True)]
    if report.clean and not report.not_checked:
        lines.append(style("✓ no known mistake found", fg="green"))
    for title, found in (("Errors: the deployment cannot work", errors),
                         ("Warnings: it works badly or only sometimes", warnings)):
        if not found:
            continue
        lines += ["", style(title, bold=True)]
        for finding in found:
            mark, fg = MARKS[finding.severity]
            lines.append(f"{style(mark, fg=fg)} {style(finding.rule, fg=fg)}: {finding.finding}")
            lines += _wrapped("why", finding.why)
            lines.append(f"    fix: {finding.fix}")  # one line: commands are copied whole
    if report.skipped:
        lines += ["", style(f"Skipped {len(report.skipped)} rules about what apply creates (correct by construction): "
                            + ", ".join(report.skipped), dim=True)]
    if report.not_checked:
        lines += ["", style("Not checked (a call the rule needed failed)", bold=True)]
        lines += [f"? {item.rule}: {item.reason}" for item in report.not_checked]
    lines += ["", *(style(f"not looked at: {note}", dim=True) for note in report.notes)]
    return lines


def _wrapped(label: str, text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=f"    {label}: ", subsequent_indent=" " * (6 + len(label)),
                         break_on_hyphens=False) if text else []


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
