"""A table of a VPC's subnets where the user ticks the ones the load balancer and tasks use.

Space or enter (or a click) on a row toggles it; every toggle posts `SubnetTable.Toggled`
with the whole selection, in table order. Rows are keyed by subnet id, so a toggle only
rewrites the mark cell of its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from bluegreen.aws.discovery_records import Subnet

COLUMNS = (("mark", "Use"), ("id", "Subnet"), ("az", "AZ"), ("cidr", "CIDR"), ("free", "Free"),
           ("reach", "Reach"), ("name", "Name"))
NAME_WIDTH = 16  # so that the table fits beside the step list at 120 columns


def short(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def mark(selected: bool) -> Text:
    return Text("[x]", style="bold green") if selected else Text("[ ]", style="dim")


def reach(subnet: Subnet) -> Text:
    # The route-table rule decides, not MapPublicIpOnLaunch (docs/aws-facts.md §2.1).
    return Text("PUBLIC", style="bold green") if subnet.public else Text("private", style="yellow")


class SubnetTable(DataTable[Text | str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "select_cursor", "Toggle subnet", show=True),
        Binding("enter", "select_cursor", "Toggle subnet", show=False),
    ]

    DEFAULT_CSS = """
    SubnetTable { height: auto; max-height: 12; width: auto; max-width: 100%; }
    """

    class Toggled(Message):
        def __init__(self, table: SubnetTable, selected: tuple[str, ...]) -> None:
            super().__init__()
            self.table = table
            self.selected = selected

        @property
        def control(self) -> SubnetTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.subnets: list[Subnet] = []
        self.selected: set[str] = set()

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, subnets: Sequence[Subnet], selected: Iterable[str]) -> None:
        """Replace the rows (another VPC, or a refresh)."""
        self.subnets = list(subnets)
        self.selected = set(selected) & {s.id for s in self.subnets}
        self.clear()
        for s in self.subnets:
            self.add_row(mark(s.id in self.selected), s.id, s.az, s.cidr, str(s.free_ips), reach(s),
                         short(s.name), key=s.id)

    def select(self, ids: Iterable[str]) -> None:
        """Set the selection without posting (used when the screen resets it)."""
        self.selected = set(ids) & {s.id for s in self.subnets}
        with self.app.batch_update():
            for s in self.subnets:
                self.update_cell(s.id, "mark", mark(s.id in self.selected))

    @property
    def selection(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.subnets if s.id in self.selected)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is None:
            return
        self.selected ^= {key}
        self.update_cell(key, "mark", mark(key in self.selected))
        self.post_message(self.Toggled(self, self.selection))
