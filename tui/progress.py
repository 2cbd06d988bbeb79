"""Progress of plan/apply/destroy/push on a terminal: a live tree with timers (rich), plain
lines when the output is not a terminal, or JSON lines with --json.

Events can arrive from worker threads (image builds run in one), so every renderer locks.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from bluegreen.engine.progress import Row, Rows, reduce, summary
from bluegreen.events import (
    BuildDone,
    BuildStep,
    Event,
    NodeDone,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
    PushDone,
    RunFinished,
)

ICONS = {"pending": "·", "running": "⠿", "created": "✚", "updated": "✎", "in_sync": "✓", "deleted": "✖",
         "absent": "·", "failed": "✗", "skipped": "↷"}
STYLES = {"pending": "dim", "running": "yellow", "created": "green", "updated": "cyan", "in_sync": "dim",
          "deleted": "magenta", "absent": "dim", "failed": "bold red", "skipped": "red"}


def note(row: Row) -> str:
    """What the live tree says after a row's timer: the newest words about it, else the
    engine's own word for where it is (the action, the id it ended with, the error code)."""
    if row.message:
        return row.message
    if row.status == "running":
        return row.action
    if row.status == "failed":
        return row.failure.code if row.failure else ""
    return row.detail


class JsonLines:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            print(json.dumps(event.to_dict(), default=str), flush=True)

    def __enter__(self) -> JsonLines:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class LiveTree:
    """One row per resource; failures keep their message and fix under the row."""

    def __init__(self, heading: str, plain: bool | None = None) -> None:
        from rich.console import Console

        self.console = Console(stderr=False)
        self.heading = heading
        self.plain = (not self.console.is_terminal) if plain is None else plain
        self.state = Rows()
        self._lock = threading.Lock()
        self._live: Any = None

    def __enter__(self) -> LiveTree:
        if not self.plain:
            from rich.live import Live

            self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=8,
                              transient=False)
            self._live.__enter__()
        else:
            self.console.print(self.heading)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.state = reduce(self.state, event, time.monotonic())
            line = self._line(event)
        if self.plain and line:
            self.console.print(line, highlight=False, markup=False)

    def _line(self, event: Event) -> str:
        """The plain-output line of one event: a log, so it tells what happened, not the row's state."""
        if isinstance(event, NodeStarted):
            return f"… {event.title}: {event.action}"
        if isinstance(event, NodeProgress):
            return f"  {self._title(event.node)}: {event.message}"
        if isinstance(event, NodeDone):
            word = event.outcome.replace("_", " ")
            return f"{ICONS[event.outcome]} {self._title(event.node)}: {word} ({event.seconds:.1f}s)"
        if isinstance(event, NodeFailed):
            return f"{ICONS['failed']} {event.message} [{event.code}]\n    fix: {event.fix}"
        if isinstance(event, NodeSkipped):
            return f"{ICONS['skipped']} {self._title(event.node)}: skipped, {event.reason}"
        if isinstance(event, BuildStep):
            return f"  build step {event.step}/{event.total}: {event.text}"
        if isinstance(event, BuildDone):
            return f"  built {event.tag}"
        if isinstance(event, PushDone):
            verb = "already in ECR" if event.skipped else "pushed"
            return f"  {verb}: {event.repository_uri}:{event.tag} {event.digest[:19]}"
        if isinstance(event, RunFinished):
            return summary(event)
        return ""  # build log lines and push progress: the live tree shows them, a log would flood

    def _title(self, node: str) -> str:
        return self.state.rows[node].title  # the event was reduced first: its row is there

    def _render(self) -> Any:
        from rich.console import Group
        from rich.text import Text
        from rich.tree import Tree

        with self._lock:
            state = self.state  # immutable: drawn outside the lock while events go on
        tree = Tree(Text(self.heading, style="bold"))
        now = time.monotonic()
        for row in state.rows.values():
            label = Text(f"{ICONS.get(row.status, '?')} ", style=STYLES.get(row.status, ""))
            label.append(row.title)
            seconds = row.elapsed(now)
            if seconds is not None:
                label.append(f"  {seconds:5.1f}s", style="dim")
            words = note(row)
            if words:
                label.append(f"  {words}", style="dim" if row.status != "failed" else "red")
            tree.add(label)
        parts: list[Any] = [tree]
        for failure in state.failures:
            parts.append(Text(f"✗ {failure.message} [{failure.code}]", style="bold red"))
            parts.append(Text(f"  fix: {failure.fix}", style="yellow"))
        if state.finished:
            parts.append(Text(summary(state.finished), style="bold green" if state.finished.ok else "bold red"))
        return Group(*parts)


def progress(heading: str, as_json: bool) -> LiveTree | JsonLines:
    return JsonLines() if as_json else LiveTree(heading)


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
