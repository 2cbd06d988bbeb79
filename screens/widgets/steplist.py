"""The step list on the left of every wizard screen: where you are, what is done."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class StepList(Vertical):
    DEFAULT_CSS = """
    StepList { width: 20; padding: 1 1; border-right: solid $primary-background; height: 100%; }
    StepList > .step { color: $text-muted; }
    StepList > .step.-done { color: $success; }
    StepList > .step.-current { color: $text; text-style: bold; background: $primary-background; }
    """

    def __init__(self, steps: tuple[str, ...], current: int) -> None:
        super().__init__(id="steps")
        self.steps = steps
        self.current = current

    def compose(self) -> ComposeResult:
        for index, name in enumerate(self.steps):
            if index < self.current:
                mark, state = "✓", "-done"
            elif index == self.current:
                mark, state = "▸", "-current"
            else:
                mark, state = " ", ""
            yield Static(f"{mark} {index}. {name}", classes=f"step {state}")
