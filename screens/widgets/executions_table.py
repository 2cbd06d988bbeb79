"""The pipeline's executions, newest first, one row per execution id.

The table is updated by row key, never rebuilt: a known execution gets the cells that changed
(`update_cell`), a new one is added and the rows sorted into the snapshot's order (sorting moves
rows, keys stay), an execution no longer listed is removed. The cursor stays on the row it was
on, and follows the snapshot's selected execution when that changes. Selecting a row (enter,
click) is the screen's business: it tells the poller which execution to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from bluegreen.watch.snapshot import Execution
from bluegreen.watch.timefmt import clock, short_time
from screens.widgets.monitor_format import short_id, short_revision, status_text

# triggerType -> a word that fits the cell; unknown ones are shown as AWS says them
TRIGGERS = {"CloudWatchEvent": "event", "StartPipelineExecution": "manual", "CreatePipeline": "created",
            "PutActionRevision": "revision", "Webhook": "webhook", "WebhookV2": "webhook",
            "PollForSourceChanges": "poll", "ManualRollback": "rollback", "AutomatedRollback": "rollback"}
# (key, header, width): cells are not padded (a column's width holds its own space), so that the
# whole row fits beside the task sets at 120 columns
COLUMNS = (("id", "execution", 11), ("status", "status", 13), ("trigger", "trigger", 9),
           ("source", "source", 20), ("started", "started", 9), ("duration", "took", 6))


@dataclass(frozen=True)
class IdCell:
    """The id column's cell: draws the short id (marked when it is the one shown) and keeps the
    full id, by which rows are ordered."""

    full: str
    shown: bool = False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(("▶ " if self.shown else "  ") + short_id(self.full), style="bold" if self.shown else "")


def sources(execution: Execution) -> str:
    """Images first (what a push changes), then commits: 'v2@9b2c7e4 7d8e9f0'."""
    ordered = sorted(execution.revisions, key=lambda r: not r.revision_id.startswith("sha256:"))
    return " ".join(short_revision(r.revision_id, r.summary) for r in ordered) or "-"


def cells(execution: Execution, shown: bool) -> dict[str, Any]:
    return {
        "id": IdCell(execution.id, shown),
        "status": status_text(execution.status),
        "trigger": TRIGGERS.get(execution.trigger, execution.trigger or "-"),
        "source": Text(sources(execution), no_wrap=True, overflow="ellipsis"),
        "started": clock(execution.started),
        "duration": Text(short_time(execution.duration_s), justify="right"),
    }


class ExecutionsTable(DataTable[Any]):
    """`show(executions, selected)`; `row_order` and `added`/`updated` tell tests what happened."""

    DEFAULT_CSS = """
    ExecutionsTable { height: auto; max-height: 8; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kwargs)
        self.border_title = "Executions"
        self.known: dict[str, dict[str, Any]] = {}  # id -> its cells as last shown
        self.selected: str | None = None
        self.added = 0  # rows ever added (a rebuild would add them all again)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, width=width, key=key)

    def show(self, executions: Sequence[Execution], selected: str | None) -> None:
        highlighted = self.highlighted_id()
        order = {execution.id: index for index, execution in enumerate(executions)}
        for gone in [key for key in self.known if key not in order]:
            self.remove_row(gone)
            del self.known[gone]
        added = False
        for execution in executions:
            new = cells(execution, execution.id == selected)
            old = self.known.get(execution.id)
            if old is None:
                self.add_row(*new.values(), key=execution.id)
                self.added += 1
                added = True
            else:
                for column, value in new.items():
                    if old[column] != value:
                        self.update_cell(execution.id, column, value)
            self.known[execution.id] = new
        if added:
            self.sort("id", key=lambda cell: order[cell.full])
        follow = selected if selected != self.selected else highlighted
        self.selected = selected
        if follow in order:
            self.move_cursor(row=self.get_row_index(follow), scroll=True)
        self.border_subtitle = self.subtitle(executions, selected)

    def subtitle(self, executions: Sequence[Execution], selected: str | None) -> str:
        if selected and executions and selected != executions[0].id:
            return "a pinned execution is shown · n follows the newest"
        return "enter shows another"

    def highlighted_id(self) -> str | None:
        if not self.row_count:
            return None
        key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    @property
    def row_order(self) -> list[str]:
        """The execution ids as the rows show them, top to bottom."""
        return [str(self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value) for row in range(self.row_count)]
