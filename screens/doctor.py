"""The doctor on one pipeline of the account: every rule run at once (`bluegreen.doctor`), the
findings grouped by severity with their fixes. Arrows move between findings, c copies the
focused one's fix, r checks again (after a fix), Esc goes back.

The same report as `bluegreen doctor --pipeline NAME`; this screen only shows it."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from screens.widgets.findings_view import FindingLine, FindingsView


class DoctorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("r", "check", "Check again"),
        Binding("c", "copy_fix", "Copy the fix"),
        Binding("down,j", "next_finding", "Next", show=False),
        Binding("up,k", "previous_finding", "Previous", show=False),
    ]
    DEFAULT_CSS = """
    DoctorScreen { padding: 1 2; }
    DoctorScreen #doctor-title { text-style: bold; }
    DoctorScreen #doctor-summary { margin: 0 0 0 0; }
    """

    def __init__(self, session: Any, pipeline: str) -> None:
        super().__init__()
        self.session, self.pipeline = session, pipeline
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Static(f"Check pipeline {self.pipeline} ({self.session.region})", id="doctor-title")
        yield Static("", id="doctor-summary")
        yield FindingsView(id="findings")
        yield Footer()

    def on_mount(self) -> None:
        self.action_check()

    def action_check(self) -> None:
        self.query_one("#doctor-summary", Static).update(Text("⠿ checking every rule…", style="yellow"))
        self.query_one(FindingsView).show_message("")
        self.run_check()

    @work(exclusive=True, group="doctor")
    async def run_check(self) -> None:
        from bluegreen.aws.discovery import describe_problem
        from bluegreen.doctor.diagnose import examine

        try:
            report = await examine(self.session, self.pipeline)
        except Exception as exc:
            if self.is_attached:
                self.query_one("#doctor-summary", Static).update(
                    Text(f"✗ cannot check {self.pipeline}: {describe_problem(exc)}  (r checks again)", style="red"))
            return
        if not self.is_attached or self not in self.app.screen_stack:
            return  # left while it checked
        self.report = report
        errors, warnings = len(report.by_severity("error")), len(report.by_severity("warning"))
        summary = Text(f"{report.rules_run} rules: ")
        summary.append(f"{errors} error{'s' * (errors != 1)}", style="bold red" if errors else "green")
        summary.append(", ")
        summary.append(f"{warnings} warning{'s' * (warnings != 1)}", style="bold yellow" if warnings else "green")
        if report.not_checked:
            summary.append(f", {len(report.not_checked)} not checked", style="yellow")
        summary.append(f"  ({report.calls} AWS calls, {report.seconds:.1f} s)", style="dim")
        self.query_one("#doctor-summary", Static).update(summary)
        view = self.query_one(FindingsView)
        view.show(report)
        self.call_after_refresh(lambda: view.query(FindingLine).first().focus() if view.query(FindingLine) else None)

    def action_copy_fix(self) -> None:
        """The focused finding's fix to the clipboard (the terminal's, through OSC 52)."""
        view = self.query_one(FindingsView)
        finding = view.focused_finding()
        if finding is None:
            lines = view.query(FindingLine)
            if not lines:
                self.notify("no finding to copy a fix from")
                return
            lines.first().focus()
            finding = view.focused_finding()
        self.app.copy_to_clipboard(finding.fix)
        self.notify(f"copied the fix of {finding.rule}")

    def action_next_finding(self) -> None:
        self.focus_next(FindingLine)

    def action_previous_finding(self) -> None:
        self.focus_previous(FindingLine)

    def action_close(self) -> None:
        self.dismiss(None)
