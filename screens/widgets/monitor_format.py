"""How the monitor's panels write times, ids and AWS statuses: one copy for all of them.

Clock times are local (as `bluegreen status` prints them); durations count from the snapshot's
`taken_at`, never from the wall clock, so a snapshot always reads the same.
"""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console, RenderableType
from rich.text import Text
from textual.widgets import Static

# AWS status word -> (icon, style). Pipeline, stage, action, deployment, lifecycle event and
# target states share most words; one table keeps their colours the same everywhere.
STATUS: dict[str, tuple[str, str]] = {
    "Succeeded": ("✓", "green"),
    "Failed": ("✗", "bold red"),
    "InProgress": ("●", "bold yellow"),
    "Stopping": ("■", "magenta"),
    "Stopped": ("■", "magenta"),
    "Abandoned": ("■", "magenta"),
    "Superseded": ("↷", "dim"),
    "Cancelled": ("↷", "dim"),
    "Skipped": ("↷", "dim"),
    "Pending": ("·", "dim"),
    "Unknown": ("?", "dim"),
    "Created": ("·", "yellow"),
    "Queued": ("·", "yellow"),
    "Baking": ("●", "yellow"),
    "Ready": ("⏸", "bold magenta"),
}


def status_text(status: str, word: str | None = None) -> Text:
    """"✓ Succeeded" in its colour; an empty status reads as not run."""
    if not status:
        return Text("· not run", style="dim")
    icon, style = STATUS.get(status, ("·", ""))
    return Text(f"{icon} {status if word is None else word}", style=style)


def span(started: datetime | None, ended: datetime | None, now: datetime) -> float | None:
    """Seconds from start to end, or to `now` while it runs."""
    if started is None:
        return None
    return ((ended or now) - started).total_seconds()


def short_id(value: str, length: int = 8) -> str:
    return value[:length]


def short_revision(revision_id: str, summary: str = "") -> str:
    """An image as tag@digest (7 hex), a commit as its first 7 characters, else the summary."""
    if revision_id.startswith("sha256:"):
        digest = revision_id.removeprefix("sha256:")[:7]
        return f"{summary}@{digest}" if summary and len(summary) <= 16 else digest
    if len(revision_id) >= 20 and all(c in "0123456789abcdef" for c in revision_id.lower()):
        return revision_id[:7]  # a commit id: the summary is its message, too long for a cell
    return summary or revision_id[:12]


def pace(interval_s: float, calls_per_minute: float) -> str:
    """'polling every 3 s · 28 calls/min'."""
    every = f"{interval_s:.0f}" if interval_s >= 10 or interval_s == int(interval_s) else f"{interval_s:.1f}"
    return f"polling every {every} s · {calls_per_minute:.0f} calls/min"


def plain(renderable: RenderableType, width: int) -> str:
    """What a panel says, as text (for tests and for copying): rendered at `width`."""
    console = Console(width=max(20, width), file=io.StringIO(), color_system=None, legacy_windows=False)
    with console.capture() as captured:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


class Panel(Static):
    """A monitor panel drawn from rich renderables; `text` is what it shows, as plain text."""

    @property
    def text(self) -> str:
        content = self.content
        renderable = Text(content) if isinstance(content, str) else content
        return plain(renderable, self.content_region.width or 80)  # type: ignore[arg-type]
