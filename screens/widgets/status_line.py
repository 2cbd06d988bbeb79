"""The monitor's top line: the stack's health word, where it is, and how often it is polled; under
it, in dim, the poller's quiet notices (throttling) and the parts it could not read this time.

Neither a notice nor a part error interrupts anything: they are facts of this poll, shown until
the next one says otherwise.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from bluegreen.watch.snapshot import Health, Snapshot
from screens.widgets.monitor_format import pace, plain

# health -> (word on the badge, badge style)
BADGES: dict[Health, tuple[str, str]] = {
    Health.IDLE: ("IDLE", "bold black on green"),
    Health.DEPLOYING: ("DEPLOYING", "bold black on yellow"),
    Health.WAITING: ("WAITING FOR YOU", "bold white on magenta"),
    Health.FAILED: ("FAILED", "bold white on red"),
    Health.MISSING: ("MISSING", "bold white on red"),
}


def facts_line(snapshot: Snapshot) -> Text:
    """After the badge: stack, region, pipeline, and the deployment in a few words."""
    target = snapshot.target
    text = Text()
    text.append(target.stack, style="bold")
    text.append(f" · {target.region} · pipeline ", style="dim")
    text.append(target.pipeline)
    if snapshot.health is Health.MISSING:
        text.append(f" · the pipeline {target.pipeline} was not found", style="red")
    return text


def quiet_line(snapshot: Snapshot) -> Text:
    """The notices, then what could not be read: one dim line (wrapping if it must)."""
    text = Text(style="dim")
    for notice in snapshot.notices:
        if text:
            text.append(" · ")
        text.append(notice)
    for error in snapshot.errors:
        if text:
            text.append(" · ")
        text.append(f"not read: {error}", style="yellow")
    return text


class StatusLine(Vertical):
    """`show(snapshot)`; `waiting(text)` before the first one; `problem(text)` when polling broke."""

    DEFAULT_CSS = """
    StatusLine { height: auto; padding: 0 1; }
    StatusLine #status-main { height: 1; }
    StatusLine #status-quiet { height: auto; max-height: 2; color: $text-muted; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.health: Health | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("connecting: waiting for the first poll…", style="dim"), id="status-main")
        yield Static("", id="status-quiet")

    def show(self, snapshot: Snapshot) -> None:
        self.health = snapshot.health
        word, style = BADGES[snapshot.health]
        grid = Table.grid(expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text(f" {word} ", style=style), Text(" ") + facts_line(snapshot),
                     Text(pace(snapshot.interval_s, snapshot.calls_per_minute), style="dim"))
        self.query_one("#status-main", Static).update(grid)
        self.query_one("#status-quiet", Static).update(quiet_line(snapshot))

    def problem(self, text: str) -> None:
        """Polling itself stopped (not one part of it): said here, in the dim line, in yellow."""
        self.query_one("#status-quiet", Static).update(Text(text, style="yellow"))

    @property
    def main_text(self) -> str:
        return plain(self.query_one("#status-main", Static).content, self.size.width or 120)  # type: ignore[arg-type]

    @property
    def quiet_text(self) -> str:
        return plain(self.query_one("#status-quiet", Static).content, self.size.width or 120)  # type: ignore[arg-type]
