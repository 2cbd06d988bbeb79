"""The plan as a table: one row per resource with what apply would do to it and why.

Rows that stop Apply (conflict, error) come first, then what is blocked behind them,
then the changes, then what is already in place; inside each group the graph's order
is kept. The line under the table repeats the highlighted row in full (reason and fix
do not fit a cell), and the line above counts the rows by action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

# action -> (words in the table, style, sort rank)
ACTIONS: dict[str, tuple[str, str, int]] = {
    "conflict": ("conflict", "bold red", 0),
    "error": ("error", "bold red", 0),
    "blocked": ("blocked", "yellow", 1),
    "create": ("create", "green", 2),
    "update": ("update", "cyan", 3),
    "in_sync": ("in sync", "dim", 4),
}
STOPS_APPLY = ("conflict", "error")


def counts(rows: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row.action] = out.get(row.action, 0) + 1
    return out


def summary(rows: Sequence[Any]) -> Text:
    """'12 to create · 1 to update · 10 in sync · 1 conflict · 8 blocked'."""
    found = counts(rows)
    words = {"create": "to create", "update": "to update", "in_sync": "in sync", "conflict": "conflict",
             "error": "error", "blocked": "blocked"}
    text = Text()
    for action in ("create", "update", "in_sync", "conflict", "error", "blocked"):
        if found.get(action):
            if text:
                text.append(" · ", style="dim")
            plural = "s" if action in ("conflict", "error") and found[action] > 1 else ""
            text.append(f"{found[action]} {words[action]}{plural}", style=ACTIONS[action][1])
    return text or Text("nothing to do", style="dim")


def why(row: Any) -> str:
    """The cell text: the reason (or what exists), then the fix."""
    text = str(row.reason or row.detail)
    if row.fix:
        text = f"{text}; fix: {row.fix}" if text else f"fix: {row.fix}"
    return text


class PlanTable(Vertical):
    """`show(rows)` with `bluegreen.engine.runner.PlanRow`s; `show_message(text)` while none."""

    DEFAULT_CSS = """
    PlanTable { height: auto; }
    PlanTable #plan-counts { height: 1; }
    PlanTable DataTable { height: auto; max-height: 10; }
    PlanTable #plan-detail { height: 2; color: $text-muted; }
    PlanTable #plan-detail.-problem { color: $error; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="plan-counts")
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=False, id="plan-rows")
        table.add_column("action", width=9, key="action")
        # Fixed widths: the row in full is under the table; 120 columns leave ~42 for "why".
        table.add_column("resource", width=34, key="resource")
        table.add_column("why / what", width=42, key="why")
        yield table
        yield Static("", id="plan-detail")

    @property
    def whole(self) -> bool:
        """All parts still mounted: False while the screen holding the table is being removed."""
        return self.is_attached and all(self.query(f"#{part}") for part in ("plan-counts", "plan-rows", "plan-detail"))

    @property
    def stops_apply(self) -> list[Any]:
        return [row for row in self.rows if row.action in STOPS_APPLY]

    def show_message(self, text: str | Text) -> None:
        self.rows = []
        self.query_one(DataTable).clear()
        self.query_one("#plan-counts", Static).update(text)
        self.query_one("#plan-detail", Static).update("")

    def show(self, rows: Sequence[Any]) -> None:
        ranked = sorted(enumerate(rows), key=lambda pair: (ACTIONS.get(pair[1].action, ("", "", 5))[2], pair[0]))
        self.rows = [row for _, row in ranked]
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for row in self.rows:
                words, style, _ = ACTIONS.get(row.action, (row.action, "", 5))
                table.add_row(Text(words, style=style), Text(row.title, overflow="ellipsis", no_wrap=True),
                              Text(why(row), style="dim" if row.action == "in_sync" else ""),
                              key=row.node)
        self.query_one("#plan-counts", Static).update(summary(self.rows))
        self.describe(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.describe(event.cursor_row)

    def describe(self, index: int) -> None:
        """The highlighted row in full under the table."""
        detail = self.query_one("#plan-detail", Static)
        if not 0 <= index < len(self.rows):
            detail.update("")
            return
        row = self.rows[index]
        words = ACTIONS.get(row.action, (row.action, "", 5))[0]
        text = Text(f"{row.title}: {words}")
        if row.reason or row.detail:
            text.append(f", {row.reason or row.detail}")
        if row.fix:
            text.append(f"\nfix: {row.fix}", style="bold")
        detail.update(text)
        detail.set_class(row.action in ("conflict", "error", "blocked"), "-problem")
