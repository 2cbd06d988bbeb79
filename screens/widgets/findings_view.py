"""A doctor report for reading: errors, then warnings, each finding with why it breaks and its
fix; then the rules that could not be checked and why; then what the doctor does not look at."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

HEADINGS = (("error", "Errors: the deployment cannot work", "red", "✗"),
            ("warning", "Warnings: it works badly or only sometimes", "yellow", "!"))


class FindingLine(Static, can_focus=True):
    """One finding; focusable (Tab, arrows), so its fix can be copied (c)."""

    DEFAULT_CSS = """
    FindingLine { margin: 0 0 1 2; padding: 0 1; }
    FindingLine:focus { background: $boost; }
    """

    def __init__(self, finding: Any, text: Text) -> None:
        super().__init__(text, classes="finding")
        self.finding = finding


class FindingsView(VerticalScroll):
    DEFAULT_CSS = """
    FindingsView { height: 1fr; }
    FindingsView .heading { text-style: bold; margin: 1 0 0 0; }
    FindingsView .finding { margin: 0 0 1 2; }
    FindingsView .quiet { color: $text-muted; margin: 1 0 0 0; }
    """

    def show(self, report: Any) -> None:
        self.remove_children()
        parts: list[Static] = []
        if report.clean:
            parts.append(Static(Text("✓ no known mistake found", style="bold green"), classes="heading"))
        for severity, title, color, mark in HEADINGS:
            found = report.by_severity(severity)
            if not found:
                continue
            parts.append(Static(Text(f"{title} ({len(found)})", style=f"bold {color}"), classes="heading"))
            parts += [FindingLine(f, _finding(f, color, mark)) for f in found]
        if report.not_checked:
            parts.append(Static(Text(f"Not checked ({len(report.not_checked)}): a call the rule needed failed",
                                     style="bold"), classes="heading"))
            parts += [Static(f"? [b]{escape(n.rule)}[/b]: {escape(n.reason)}", classes="finding")
                      for n in report.not_checked]
        parts += [Static(f"not looked at: {escape(note)}", classes="quiet") for note in report.notes]
        self.mount_all(parts)
        self.scroll_home(animate=False)

    def focused_finding(self) -> Any:
        focused = self.app.focused
        return focused.finding if isinstance(focused, FindingLine) else None

    def show_message(self, text: str | Text) -> None:
        self.remove_children()
        self.mount(Static(text, classes="heading"))


def _finding(finding: Any, color: str, mark: str) -> Text:
    return Text.assemble((f"{mark} ", f"bold {color}"), (finding.rule, f"bold {color}"), ": ", finding.finding,
                         "\n", ("why: ", "dim bold"), (finding.why, "dim"), "\n", ("fix: ", "bold"), finding.fix)
