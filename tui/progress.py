"""Progress of plan/apply/destroy/push on a terminal: a live tree with timers (rich), plain
lines when the output is not a terminal, or JSON lines with --json.

Events can arrive from worker threads (image builds run in one), so every renderer locks.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

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
    PushProgress,
    RunFinished,
)

ICONS = {"running": "⠿", "created": "✚", "updated": "✎", "in_sync": "✓", "deleted": "✖", "absent": "·",
         "failed": "✗", "skipped": "↷"}
STYLES = {"running": "yellow", "created": "green", "updated": "cyan", "in_sync": "dim", "deleted": "magenta",
          "absent": "dim", "failed": "bold red", "skipped": "red"}


@dataclass
class Row:
    title: str
    status: str = "running"
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    note: str = ""


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
        self.rows: dict[str, Row] = {}
        self.failures: list[NodeFailed] = []
        self.finished: RunFinished | None = None
        self._lock = threading.Lock()
        self._live: Any = None
        self._layers: dict[str, tuple[int, int]] = {}

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
            line = self._update(event)
        if self.plain and line:
            self.console.print(line, highlight=False, markup=False)

    def _update(self, event: Event) -> str:
        if isinstance(event, NodeStarted):
            self.rows[event.node] = Row(event.title, note=event.action)
            return f"… {event.title}: {event.action}"
        if isinstance(event, NodeProgress):
            self._row(event.node).note = event.message
            return f"  {self._row(event.node).title}: {event.message}"
        if isinstance(event, NodeDone):
            row = self._row(event.node)
            row.status, row.seconds, row.note = event.outcome, event.seconds, event.detail
            return f"{ICONS[event.outcome]} {row.title}: {event.outcome.replace('_', ' ')} ({event.seconds:.1f}s)"
        if isinstance(event, NodeFailed):
            row = self._row(event.node)
            row.status, row.seconds, row.note = "failed", event.seconds, event.code
            self.failures.append(event)
            return f"{ICONS['failed']} {event.message} [{event.code}]\n    fix: {event.fix}"
        if isinstance(event, NodeSkipped):
            row = self._row(event.node)
            row.status, row.note = "skipped", event.reason
            return f"{ICONS['skipped']} {row.title}: skipped, {event.reason}"
        if isinstance(event, BuildStep):
            self._row("ecr.image").note = f"build step {event.step}/{event.total}: {event.text[:60]}"
            return f"  build step {event.step}/{event.total}: {event.text}"
        if isinstance(event, BuildDone):
            self._row("ecr.image").note = f"built {event.tag}"
            return f"  built {event.tag}"
        if isinstance(event, PushProgress):
            self._layers[event.layer] = (event.current, event.total)
            done = sum(c for c, _ in self._layers.values())
            total = sum(t for _, t in self._layers.values()) or 1
            self._row("ecr.image").note = f"pushing {len(self._layers)} layers: {done * 100 // total}%"
            return ""
        if isinstance(event, PushDone):
            verb = "already in ECR" if event.skipped else "pushed"
            return f"  {verb}: {event.repository_uri}:{event.tag} {event.digest[:19]}"
        if isinstance(event, RunFinished):
            self.finished = event
            word = "done" if event.ok else "stopped"
            return (f"{word} in {event.seconds:.1f}s: {event.done} finished, {event.failed} failed, "
                    f"{event.skipped} skipped")
        return ""

    def _row(self, node: str) -> Row:
        return self.rows.setdefault(node, Row(node))

    def _render(self) -> Any:
        from rich.console import Group
        from rich.text import Text
        from rich.tree import Tree

        with self._lock:
            tree = Tree(Text(self.heading, style="bold"))
            now = time.monotonic()
            for row in self.rows.values():
                seconds = row.seconds if row.seconds is not None else now - row.started
                label = Text(f"{ICONS.get(row.status, '?')} ", style=STYLES.get(row.status, ""))
                label.append(row.title)
                label.append(f"  {seconds:5.1f}s", style="dim")
                if row.note:
                    label.append(f"  {row.note}", style="dim" if row.status != "failed" else "red")
                tree.add(label)
            parts: list[Any] = [tree]
            for failure in self.failures:
                parts.append(Text(f"✗ {failure.message} [{failure.code}]", style="bold red"))
                parts.append(Text(f"  fix: {failure.fix}", style="yellow"))
            if self.finished:
                f = self.finished
                style = "bold green" if f.ok else "bold red"
                parts.append(Text(f"{'Done' if f.ok else 'Stopped'} in {f.seconds:.1f}s: {f.done} finished, "
                                  f"{f.failed} failed, {f.skipped} skipped", style=style))
            return Group(*parts)


def progress(heading: str, as_json: bool) -> LiveTree | JsonLines:
    return JsonLines() if as_json else LiveTree(heading)


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
