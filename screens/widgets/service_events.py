"""The ECS service's events (newest first) and why its last tasks stopped: where a green task
set that never gets healthy usually says why."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from bluegreen.watch.snapshot import ServiceState
from bluegreen.watch.timefmt import clock
from screens.widgets.monitor_format import Panel, short_id


def events_table(service: ServiceState | None) -> Table | Text:
    """Stopped tasks first (they say why green is not healthy), then events, newest first; the
    time in a column of its own, so a long message wraps beside it."""
    if service is None:
        return Text("the service was not read", style="dim")
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(ratio=1)
    for task in service.stopped_tasks:
        text = Text(f"✗ task {short_id(task.task)} stopped", style="red")
        if task.task_definition:
            text.append(f" ({task.task_definition})", style="dim")
        text.append(f": {task.reason}", style="")
        grid.add_row(clock(task.stopped_at), text)
    for event in service.events:
        grid.add_row(clock(event.at), Text(event.message))
    if not grid.row_count:
        return Text("no service events yet", style="dim")
    return grid


class ServiceEvents(Panel):
    """`show(service)`."""

    DEFAULT_CSS = """
    ServiceEvents { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.border_title = "Service events"

    def show(self, service: ServiceState | None) -> None:
        self.update(events_table(service))
