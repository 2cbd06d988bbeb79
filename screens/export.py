"""Export from any step: the config as YAML (reproduces the stack with `bluegreen apply -f`)
and, optionally, every rendered artifact into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from bluegreen.model.draft import Draft


class ExportScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 80; height: auto; border: thick $accent; padding: 1 2; background: $panel; }
    ExportScreen Horizontal { height: 3; align-horizontal: right; margin: 1 0 0 0; }
    ExportScreen Button { margin: 0 0 0 2; }
    ExportScreen #result { margin: 1 0 0 0; }
    """

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Export[/b]  the config reproduces this stack: bluegreen apply -f FILE")
            yield Label("Config file")
            yield Input(str(self.draft.path or "bluegreen.yaml"), id="yaml")
            yield Label("Artifacts folder (taskdef.json, appspec.yaml, requests, CloudFormation)")
            yield Input("bluegreen-out", id="folder")
            if self.draft.pending:
                yield Static("Some fields hold refused values: the last valid choices are exported.",
                             classes="warn")
            yield Static("", id="result")
            with Horizontal():
                yield Button("Close", id="close")
                yield Button("Save config", id="save")
                yield Button("Save config + artifacts", id="both", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#both", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close":
            self.dismiss(False)
            return
        result = self.query_one("#result", Static)
        try:
            written = self.export(with_artifacts=event.button.id == "both")
        except OSError as exc:
            result.update(f"[red]Could not write: {exc}. Fix: pick a folder you can write to.[/red]")
            return
        result.update(f"[green]Saved {written}[/green]")

    def export(self, with_artifacts: bool) -> str:
        yaml_path = Path(self.query_one("#yaml", Input).value.strip() or "bluegreen.yaml")
        self.draft.save(yaml_path)
        if not with_artifacts:
            return str(yaml_path)
        from renderers.artifacts import render_all
        from renderers.output import write_artifacts

        folder = Path(self.query_one("#folder", Input).value.strip() or "bluegreen-out")
        artifacts = render_all(self.draft.config)
        write_artifacts(artifacts, folder)
        return f"{yaml_path} and {len(artifacts)} files in {folder}/"

    def action_close(self) -> None:
        self.dismiss(False)
