"""The bluegreen Textual app: one driver worker walks the wizard screens in order.

Handlers live with their screens; the app only drives the order, and owns what every
screen shares: export (ctrl+e and the command palette), help (f1), and quitting with
unsaved choices (ctrl+q asks first).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from bluegreen.model.draft import Draft
from screens.context import WizardContext
from screens.steps import STEPS, Nav


class BlueGreenApp(App[None]):
    TITLE = "bluegreen"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+e", "export", "Export", priority=True),  # above Input's end-of-line
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, draft: Draft | None = None, sandbox: bool = True, start_step: int = 0,
                 auto_start: bool = True) -> None:
        super().__init__()
        self.context = WizardContext(draft or Draft.new(), sandbox_requested=sandbox)
        self.start_step = start_step
        self.auto_start = auto_start

    def on_mount(self) -> None:
        if self.auto_start:
            self.drive()
        ready_file = os.environ.get("BLUEGREEN_READY_FILE")
        if ready_file:  # bench/tui.py: the moment the first step takes keys
            self._mark_ready_when_shown(Path(ready_file))

    def _mark_ready_when_shown(self, ready_file: Path) -> None:
        def check() -> None:
            if len(self.screen_stack) > 1 and self.screen.focused is not None:
                ready_file.write_text(f"{time.time():.6f}")
                timer.stop()

        timer = self.set_interval(0.005, check)

    @work(exclusive=True, group="wizard")
    async def drive(self) -> None:
        """Show the steps in order; Back and Next move through them."""
        index = self.start_step
        while 0 <= index < len(STEPS):
            screen = STEPS[index].load()(self.context)
            answer = await self.push_screen_wait(screen)
            if answer is Nav.BACK:
                index = max(0, index - 1)
            elif answer is Nav.NEXT:
                index += 1
            elif answer is Nav.QUIT:
                break
        if index >= len(STEPS) and self.context.connection is not None:
            await self.watch_provisioned()  # the Provision step continues into the monitor
        self.exit()

    async def watch_provisioned(self) -> None:
        """The live monitor of the stack just provisioned, until the user closes it."""
        import asyncio

        from bluegreen.watch.target import target_of
        from screens.monitor_launch import monitor_for, prepare

        connection, config = self.context.connection, self.context.draft.config
        assert connection is not None
        watched = await asyncio.to_thread(prepare, connection, target_of(config), config, self.context.base_dir)
        await self.push_screen_wait(monitor_for(watched))

    # -- shared actions ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Export", "Save the config as YAML and write every artifact", self.action_export)
        yield SystemCommand("Help", "Keys and what each step does", self.action_help)

    def action_export(self) -> None:
        from screens.export import ExportScreen

        self.push_screen(ExportScreen(self.context.draft))

    def action_help(self) -> None:
        from screens.help import HelpScreen

        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if not self.context.draft.dirty:
            self.exit()
            return
        from screens.confirm import ConfirmScreen

        def answer(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(ConfirmScreen("You have unsaved choices. Quit without exporting them?",
                                       yes="Quit", no="Stay"), answer)

    def on_unmount(self) -> None:
        self.context.close()


def run(config_file: Path | None, sandbox: bool) -> None:
    from bluegreen.model.configfile import load

    draft = Draft(load(config_file), path=config_file) if config_file else None
    BlueGreenApp(draft, sandbox=sandbox).run()
