"""The last lines of the newest tasks' logs, as the snapshot carries them (oldest first): the
panel shows as many of the newest as fit, one line each, cut at the panel's width."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widget import Widget

from bluegreen.watch.snapshot import LogLine
from bluegreen.watch.timefmt import clock


def stream_name(stream: str) -> str:
    """'web/web/0123456789abcdef' -> '01234567': the task id, which tells tasks apart."""
    return stream.rsplit("/", 1)[-1][:8]


class LogTail(Widget):
    """`show(lines, log_group)`."""

    DEFAULT_CSS = """
    LogTail { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lines: tuple[LogLine, ...] = ()
        self.border_title = "Logs"

    def show(self, lines: Sequence[LogLine], log_group: str) -> None:
        self.lines = tuple(lines)
        self.border_title = f"Logs · {log_group}" if log_group else "Logs"
        self.refresh()

    def render(self) -> Text:
        if not self.lines:
            return Text("no log lines yet", style="dim")
        height = max(1, self.size.height)
        text = Text(no_wrap=True, overflow="ellipsis")
        for line in self.lines[-height:]:
            text.append(f"{clock(line.at)} ", style="dim")
            text.append(f"{stream_name(line.stream)} ", style="cyan")
            text.append(line.message.rstrip().replace("\n", " ") + "\n")
        text.rstrip()
        return text
