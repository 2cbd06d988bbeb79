"""The live resource tree of a plan/apply/destroy run, fed by `bluegreen.events`.

One row per resource, grouped by what it belongs to (IAM, load balancer, ECS, ...): a
status icon, the title, a timer that ticks while the resource is being worked on, and a
note (what it is doing, or the id it ended with). Failures are repeated under the tree in
full, with their fix, because a tree row cannot wrap.

`record(event)` must run on the event loop; `listener` is the thread-safe way in (image
builds emit from a worker thread). The clock is injectable so that snapshots freeze time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from bluegreen.events import (
    BuildDone,
    BuildLog,
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

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ICONS = {"waiting": "·", "created": "✚", "updated": "✎", "in_sync": "✓", "deleted": "✖", "absent": "✓",
         "failed": "✗", "skipped": "↷"}
STYLES = {"waiting": "dim", "running": "bold yellow", "created": "green", "updated": "cyan", "in_sync": "green",
          "deleted": "magenta", "absent": "green", "failed": "bold red", "skipped": "yellow"}
WORDS = {"created": "created", "updated": "updated", "in_sync": "already in place", "deleted": "deleted",
         "absent": "already gone", "failed": "failed", "skipped": "skipped"}
DONE = ("created", "updated", "in_sync", "deleted", "absent")
DOING = {"create": "creating", "update": "updating", "check": "checking", "delete": "deleting"}

# Groups in the order resources come to exist; a node belongs to the first whose prefix it has.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Account and network", ("account", "network.")),
    ("IAM roles", ("iam.",)),
    ("Storage, source and image", ("s3.", "ecr.", "logs.", "codecommit.", "source.")),
    ("Load balancer", ("ec2.", "elbv2.")),
    ("ECS", ("ecs.",)),
    ("CodeDeploy", ("codedeploy.",)),
    ("Pipeline", ("codepipeline.", "events.")),
)
OTHER = "Other"


def group_of(node: str) -> str:
    for name, prefixes in GROUPS:
        if any(node == p or node.startswith(p) for p in prefixes):
            return name
    return OTHER


def elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:5.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:2d}m{rest:02d}s"


@dataclass
class Row:
    node: str
    title: str
    status: str = "waiting"  # waiting | running | an Outcome | failed | skipped
    note: str = ""
    started: float | None = None
    seconds: float | None = None
    failure: NodeFailed | None = None
    tree_node: Any = field(default=None, repr=False)


class ResourceTree(Vertical):
    """A live tree of resources; see the module doc."""

    DEFAULT_CSS = """
    ResourceTree { height: 1fr; }
    ResourceTree Tree { height: 1fr; min-height: 6; background: $surface; }
    ResourceTree #failures { height: auto; max-height: 10; display: none; }
    ResourceTree #failures.-shown { display: block; }
    ResourceTree #finished { height: auto; }
    """

    class Fed(Message):
        """An event handed in from any thread."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

        def can_replace(self, message: Message) -> bool:
            # A flood of push progress for one layer: only the newest matters.
            mine, theirs = self.event, getattr(message, "event", None)
            return (isinstance(message, ResourceTree.Fed) and isinstance(mine, PushProgress)
                    and isinstance(theirs, PushProgress) and theirs.layer == mine.layer)

    def __init__(self, heading: str = "Resources", clock: Callable[[], float] = time.monotonic,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heading = heading
        self.clock = clock
        self.rows: dict[str, Row] = {}
        self.finished: RunFinished | None = None
        self._groups: dict[str, TreeNode[str]] = {}
        self._layers: dict[str, tuple[int, int]] = {}

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree(self.heading, id="rows")
        tree.show_root = False
        tree.guide_depth = 3
        yield tree
        yield Static("", id="failures")
        yield Static("", id="finished")

    def on_mount(self) -> None:
        self.set_interval(0.25, self._tick)

    def on_resize(self) -> None:
        for row in self.rows.values():
            row.tree_node.set_label(self._label(row))

    # -- feeding ---------------------------------------------------------------------

    def listener(self, event: Event) -> None:
        """Thread-safe: pass as `on_event` to the engine."""
        self.post_message(self.Fed(event))

    def on_resource_tree_fed(self, message: Fed) -> None:
        self.record(message.event)

    def expect(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Show resources before they start: (node id, title, planned action)."""
        for node, title, action in rows:
            row = self._row(node, title)
            if row.status == "waiting":
                row.note = {"create": "will be created", "update": "will be updated",
                            "in_sync": "will be checked"}.get(action, "waiting")
                self._paint(row)

    def restart(self) -> None:
        """Before a retry: failed and skipped rows wait again; the rest keep their state."""
        self.finished = None
        for row in self.rows.values():
            if row.status in ("failed", "skipped", "running"):
                row.status, row.note, row.started, row.seconds, row.failure = "waiting", "waiting", None, None, None
                self._paint(row)
        self._paint_failures()
        self.query_one("#finished", Static).update("")
        for node in self._groups.values():
            node.expand()

    def record(self, event: Event) -> None:
        """Apply one event (on the event loop)."""
        if isinstance(event, NodeStarted):
            row = self._row(event.node, event.title)
            row.title, row.status, row.started, row.seconds = event.title, "running", self.clock(), None
            row.note = f"{DOING.get(event.action, event.action)}…"
        elif isinstance(event, NodeProgress):
            row = self._row(event.node)
            row.note = event.message
        elif isinstance(event, NodeDone):
            row = self._row(event.node)
            row.status, row.seconds = event.outcome, event.seconds
            row.note = WORDS.get(event.outcome, event.outcome) + (f"  {event.detail}" if event.detail else "")
        elif isinstance(event, NodeFailed):
            row = self._row(event.node)
            row.status, row.seconds, row.failure = "failed", event.seconds, event
            row.note = f"{event.code}: see below"
            self._paint_failures()
        elif isinstance(event, NodeSkipped):
            row = self._row(event.node)
            row.status, row.note = "skipped", event.reason
        elif isinstance(event, RunFinished):
            self.finished = event
            self._paint_finished()
            self._fold_finished_groups()
            return
        elif isinstance(event, (BuildStep, BuildLog, BuildDone, PushProgress, PushDone)):
            row = self._row("ecr.image")
            row.note = self._image_note(event) or row.note
        else:
            return
        self._paint(row)

    # -- what it looks like ----------------------------------------------------------

    def _image_note(self, event: Event) -> str:
        if isinstance(event, BuildStep):
            return f"build step {event.step}/{event.total}: {event.text[:60]}"
        if isinstance(event, BuildDone):
            return f"built {event.tag}"
        if isinstance(event, PushProgress):
            self._layers[event.layer] = (event.current, event.total)
            done = sum(c for c, _ in self._layers.values())
            total = sum(t for _, t in self._layers.values()) or 1
            layers = len(self._layers)
            return f"pushing {layers} layer{'s' if layers != 1 else ''}: {done * 100 // total}%"
        if isinstance(event, PushDone):
            return f"{'already in ECR' if event.skipped else 'pushed'} {event.digest[:19]}"
        return ""

    def _row(self, node: str, title: str = "") -> Row:
        row = self.rows.get(node)
        if row is None:
            row = self.rows[node] = Row(node, title or node)
            group = self._group(group_of(node))
            row.tree_node = group.add_leaf(self._label(row), data=node)
        elif title:
            row.title = title
        return row

    def _group(self, name: str) -> TreeNode[str]:
        node = self._groups.get(name)
        if node is not None:
            return node
        order = [g for g, _ in GROUPS] + [OTHER]
        tree: Tree[str] = self.query_one(Tree)
        later = [self._groups[g] for g in order[order.index(name) + 1:] if g in self._groups]
        before = min(later, key=lambda n: tree.root.children.index(n)) if later else None
        node = tree.root.add(name, data=name, expand=True, before=before)
        self._groups[name] = node
        return node

    def _seconds(self, row: Row) -> float | None:
        if row.seconds is not None:
            return row.seconds
        if row.started is not None:
            return max(0.0, self.clock() - row.started)
        return None

    def _spinner(self) -> str:
        return SPINNER[int(self.clock() * 8) % len(SPINNER)]

    def _label(self, row: Row) -> Text:
        icon = self._spinner() if row.status == "running" else ICONS.get(row.status, "?")
        label = Text(f"{icon} ", style=STYLES.get(row.status, ""))
        label.append(f"{row.title[:44]:<44}", style="dim" if row.status == "waiting" else "")
        seconds = self._seconds(row)
        label.append(f" {elapsed(seconds) if seconds is not None else '':>6}", style="dim")
        if row.note:
            style = {"failed": "red", "skipped": "yellow", "running": "yellow"}.get(row.status, "dim")
            label.append(f"  {row.note}", style=style)
        # Crop to the visible width (less the guides): a wider label would add a scrollbar,
        # and what is cut is an id; failures are shown in full below the tree.
        width = self.size.width - 2 * 3 - 2
        if width > 20 and label.cell_len > width:
            label.truncate(width, overflow="ellipsis")
        return label

    def _paint(self, row: Row) -> None:
        row.tree_node.set_label(self._label(row))
        self._paint_group(group_of(row.node))

    def _paint_group(self, name: str) -> None:
        rows = [r for r in self.rows.values() if group_of(r.node) == name]
        done = sum(r.status in DONE for r in rows)
        if any(r.status == "failed" for r in rows):
            icon, style = ICONS["failed"], STYLES["failed"]
        elif any(r.status == "running" for r in rows):
            icon, style = self._spinner(), STYLES["running"]
        elif done == len(rows):
            icon, style = "✓", "green"
        else:
            icon, style = ICONS["waiting"], "dim"
        label = Text(f"{icon} ", style=style)
        label.append(name, style="bold")
        label.append(f"  {done}/{len(rows)}", style="dim")
        self._groups[name].set_label(label)

    def _paint_failures(self) -> None:
        text = Text()
        for row in self.rows.values():
            failure = row.failure
            if failure is None:
                continue
            if text:
                text.append("\n")
            text.append(f"✗ {failure.message} [{failure.code}]\n", style="bold red")
            text.append(f"  fix: {failure.fix}", style="yellow")
        panel = self.query_one("#failures", Static)
        panel.update(text)
        panel.set_class(bool(text), "-shown")

    def _paint_finished(self) -> None:
        f = self.finished
        if f is None:
            return
        word, style = ("Done", "bold green") if f.ok else ("Stopped", "bold red")
        self.query_one("#finished", Static).update(Text(
            f"{word} in {f.seconds:.1f}s: {f.done} finished, {f.failed} failed, {f.skipped} skipped", style=style))

    def _fold_finished_groups(self) -> None:
        """At the end of a run, groups that went fine fold to their one summary line, so
        that what needs attention (and the whole stack at a glance) fits the screen."""
        for name, node in self._groups.items():
            rows = [r for r in self.rows.values() if group_of(r.node) == name]
            if all(r.status in DONE for r in rows):
                node.collapse()
            else:
                node.expand()

    def _tick(self) -> None:
        """Move the timers and spinners of what is running."""
        running = [r for r in self.rows.values() if r.status == "running"]
        for row in running:
            row.tree_node.set_label(self._label(row))
        for name in {group_of(r.node) for r in running}:
            self._paint_group(name)

    # -- questions -------------------------------------------------------------------

    def count(self, *statuses: str) -> int:
        return sum(row.status in statuses for row in self.rows.values())

    @property
    def failures(self) -> list[NodeFailed]:
        return [row.failure for row in self.rows.values() if row.failure is not None]
