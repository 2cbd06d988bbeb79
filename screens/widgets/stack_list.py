"""The stacks already in the account (pipelines tagged bluegreen:stack in the region): one row
each with its newest execution; Enter (or a click) asks to watch it, c to check it. Hidden while empty, so a
new account's first screen stays about setting up."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from bluegreen.watch.target import StackSummary

STATUS_STYLE = {"Succeeded": "green", "InProgress": "yellow", "Failed": "red", "Stopped": "red",
                "Stopping": "yellow", "Superseded": "dim", "Cancelled": "dim"}


class StackList(Vertical):
    DEFAULT_CSS = """
    StackList { height: auto; display: none; }
    StackList.-found { display: block; }
    StackList DataTable { height: auto; max-height: 8; }
    StackList #stacks-note { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("w", "watch", "Watch stack", show=False),
                                              Binding("c", "check", "Check stack", show=False)]

    class Watch(Message):
        """Open the monitor on this stack."""

        def __init__(self, stack: StackSummary) -> None:
            super().__init__()
            self.stack = stack

    class Check(Message):
        """Run the doctor on this stack's pipeline."""

        def __init__(self, stack: StackSummary) -> None:
            super().__init__()
            self.stack = stack

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.stacks: dict[str, StackSummary] = {}

    def compose(self) -> ComposeResult:
        yield Static("Stacks already in this account", classes="section")
        table: DataTable[str] = DataTable(id="stacks", cursor_type="row", zebra_stripes=False)
        table.add_columns("stack", "pipeline", "last execution", "started")
        yield table
        yield Static("Enter on a stack opens its monitor, c checks it (the doctor); Next sets up a new one.",
                     id="stacks-note")

    def show(self, stacks: tuple[StackSummary, ...]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.stacks = {s.pipeline: s for s in stacks}
        for s in stacks:
            style = STATUS_STYLE.get(s.latest_status, "")
            status = f"[{style}]{s.latest_status}[/]" if style else (s.latest_status or "never ran")
            started = s.latest_at.astimezone().strftime("%Y-%m-%d %H:%M") if s.latest_at else ""
            table.add_row(s.stack, s.pipeline, status, started, key=s.pipeline)
        self.set_class(bool(stacks), "-found")

    @on(DataTable.RowSelected, "#stacks")
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        stack = self.stacks.get(str(event.row_key.value))
        if stack is not None:
            self.post_message(self.Watch(stack))

    def action_watch(self) -> None:
        stack = self.highlighted()
        if stack is not None:
            self.post_message(self.Watch(stack))

    def action_check(self) -> None:
        stack = self.highlighted()
        if stack is not None:
            self.post_message(self.Check(stack))

    def highlighted(self) -> StackSummary | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.stacks.get(str(key.value))
