"""The keys, and what the wizard does, on one screen (f1)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# bluegreen keys

| key | does |
|---|---|
| **tab** / **shift+tab** | next / previous field |
| **enter** | next field; in the last field, the next step |
| **ctrl+n** | next step (when every field of this step is valid) |
| **escape** | previous step (what you typed is kept) |
| **ctrl+e** | export: save the config as YAML, write every artifact to a folder |
| **ctrl+p** | command palette (export, help, theme...) |
| **f1** | this help |
| **ctrl+q** | quit (asks first when you have unsaved choices) |

Every field is checked as you type, with the same rules as `bluegreen validate`;
the rule and a fix appear under the field. Nothing is created in AWS before the
**Review** step's Apply, except the ECR repository that the Image step's Build and push
needs (tagged with the stack, as Apply makes it). The exported file reproduces the stack
headlessly:
`bluegreen apply -f bluegreen.yaml`.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; height: 80%; border: thick $accent; background: $panel; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
