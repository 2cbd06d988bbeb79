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
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from bluegreen.engine.progress import Row, Rows, changed, expect, reduce, restart, summary
from bluegreen.events import Event, NodeFailed, PushProgress, RunFinished

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ICONS = {"pending": "·", "created": "✚", "updated": "✎", "in_sync": "✓", "deleted": "✖", "absent": "✓",
         "failed": "✗", "skipped": "↷"}
STYLES = {"pending": "dim", "running": "bold yellow", "created": "green", "updated": "cyan", "in_sync": "green",
          "deleted": "magenta", "absent": "green", "failed": "bold red", "skipped": "yellow"}
WORDS = {"created": "created", "updated": "updated", "in_sync": "already in place", "deleted": "deleted",
         "absent": "already gone", "failed": "failed", "skipped": "skipped"}
DOING = {"create": "creating", "update": "updating", "check": "checking", "delete": "deleting"}
PLANNED = {"create": "will be created", "update": "will be updated", "in_sync": "will be checked"}

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


def note(row: Row) -> str:
    """What the tree says after the title: the newest words about the row, else what its
    status means here."""
    if row.message:
        return row.message
    if row.status == "pending":
        return PLANNED.get(row.planned, "waiting")
    if row.status == "running":
        return f"{DOING.get(row.action, row.action)}…"
    if row.status == "failed":
        return f"{row.failure.code}: see below" if row.failure else "failed"
    return WORDS.get(row.status, row.status) + (f"  {row.detail}" if row.detail else "")


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
        self.state = Rows()  # the rows themselves: the widget only draws them
        self._groups: dict[str, TreeNode[str]] = {}
        self._leaves: dict[str, TreeNode[str]] = {}

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
        for row in self.state.rows.values():
            self._leaves[row.node].set_label(self._label(row))

    # -- feeding ---------------------------------------------------------------------

    def listener(self, event: Event) -> None:
        """Thread-safe: pass as `on_event` to the engine."""
        self.post_message(self.Fed(event))

    def on_resource_tree_fed(self, message: Fed) -> None:
        self.record(message.event)

    def expect(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Show resources before they start: (node id, title, planned action)."""
        self._apply(expect(self.state, rows))

    def restart(self) -> None:
        """Before a retry: failed and skipped rows wait again; the rest keep their state."""
        self._apply(restart(self.state))
        self._paint_failures()
        self.query_one("#finished", Static).update("")
        for node in self._groups.values():
            node.expand()

    def record(self, event: Event) -> None:
        """Apply one event (on the event loop)."""
        self._apply(reduce(self.state, event, self.clock()))
        if isinstance(event, NodeFailed):
            self._paint_failures()
        elif isinstance(event, RunFinished):
            self._paint_finished()
            self._fold_finished_groups()

    def _apply(self, state: Rows) -> None:
        before, self.state = self.state, state
        for row in changed(before, state):
            self._paint(row)

    # -- what it looks like ----------------------------------------------------------

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

    def _spinner(self) -> str:
        return SPINNER[int(self.clock() * 8) % len(SPINNER)]

    def _label(self, row: Row) -> Text:
        icon = self._spinner() if row.status == "running" else ICONS.get(row.status, "?")
        label = Text(f"{icon} ", style=STYLES.get(row.status, ""))
        label.append(f"{row.title[:44]:<44}", style="dim" if row.status == "pending" else "")
        seconds = row.elapsed(self.clock())
        label.append(f" {elapsed(seconds) if seconds is not None else '':>6}", style="dim")
        words = note(row)
        if words:
            style = {"failed": "red", "skipped": "yellow", "running": "yellow"}.get(row.status, "dim")
            label.append(f"  {words}", style=style)
        # Crop to the visible width (less the guides): a wider label would add a scrollbar,
        # and what is cut is an id; failures are shown in full below the tree.
        width = self.size.width - 2 * 3 - 2
        if width > 20 and label.cell_len > width:
            label.truncate(width, overflow="ellipsis")
        return label

    def _paint(self, row: Row) -> None:
        leaf = self._leaves.get(row.node)
        if leaf is None:
            leaf = self._leaves[row.node] = self._group(group_of(row.node)).add_leaf(self._label(row), data=row.node)
        else:
            leaf.set_label(self._label(row))
        self._paint_group(group_of(row.node))

    def _paint_group(self, name: str) -> None:
        rows = [r for r in self.state.rows.values() if group_of(r.node) == name]
        done = sum(r.done for r in rows)
        if any(r.status == "failed" for r in rows):
            icon, style = ICONS["failed"], STYLES["failed"]
        elif any(r.status == "running" for r in rows):
            icon, style = self._spinner(), STYLES["running"]
        elif done == len(rows):
            icon, style = "✓", "green"
        else:
            icon, style = ICONS["pending"], "dim"
        label = Text(f"{icon} ", style=style)
        label.append(name, style="bold")
        label.append(f"  {done}/{len(rows)}", style="dim")
        self._groups[name].set_label(label)

    def _paint_failures(self) -> None:
        text = Text()
        for failure in self.state.failures:
            if text:
                text.append("\n")
            text.append(f"✗ {failure.message} [{failure.code}]\n", style="bold red")
            text.append(f"  fix: {failure.fix}", style="yellow")
        panel = self.query_one("#failures", Static)
        panel.update(text)
        panel.set_class(bool(text), "-shown")

    def _paint_finished(self) -> None:
        f = self.state.finished
        if f is not None:
            self.query_one("#finished", Static).update(Text(summary(f), style="bold green" if f.ok else "bold red"))

    def _fold_finished_groups(self) -> None:
        """At the end of a run, groups that went fine fold to their one summary line, so
        that what needs attention (and the whole stack at a glance) fits the screen."""
        for name, node in self._groups.items():
            if all(r.done for r in self.state.rows.values() if group_of(r.node) == name):
                node.collapse()
            else:
                node.expand()

    def _tick(self) -> None:
        """Move the timers and spinners of what is running."""
        running = [r for r in self.state.rows.values() if r.status == "running"]
        for row in running:
            self._leaves[row.node].set_label(self._label(row))
        for name in {group_of(r.node) for r in running}:
            self._paint_group(name)

    # -- questions -------------------------------------------------------------------

    @property
    def rows(self) -> Mapping[str, Row]:
        return self.state.rows

    @property
    def finished(self) -> RunFinished | None:
        return self.state.finished

    def count(self, *statuses: str) -> int:
        return self.state.count(*statuses)

    @property
    def failures(self) -> list[NodeFailed]:
        return self.state.failures
