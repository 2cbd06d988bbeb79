"""`bluegreen watch -f F`: the monitor alone, as its own app (closing it ends the command)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from screens.monitor_launch import Watched, monitor_for, prepare


class MonitorApp(App[None]):
    TITLE = "bluegreen"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, watched: Watched) -> None:
        super().__init__()
        self.watched = watched

    def on_mount(self) -> None:
        self.push_screen(monitor_for(self.watched), lambda _: self.exit())

    def action_help(self) -> None:
        from screens.help import HelpScreen

        self.push_screen(HelpScreen())


def run_monitor(connection: Any, config: Any, config_file: Path) -> None:
    from bluegreen.watch.target import target_of

    watched = prepare(connection, target_of(config), config, config_file.resolve().parent, config_file)
    MonitorApp(watched).run()
