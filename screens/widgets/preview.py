"""A read-only, syntax-highlighted view of a file the wizard will write (taskdef.json,
appspec.yaml), re-rendered by its screen after every accepted change.

Rich's Syntax (pygments) rather than a TextArea: TextArea highlighting needs tree-sitter, which
is not a dependency. The view scrolls and takes focus, so it is readable from the keyboard.
Placeholders the pipeline fills in (`<IMAGE1_NAME>`, `<TASK_DEFINITION>`) are marked so that a
first-time user sees they are meant to stay as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.widgets import Static

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
PLACEHOLDER_STYLE = "bold black on yellow"


class CodePreview(ScrollableContainer):
    """Lines are not wrapped (a wrapped JSON line reads as two): long ones scroll sideways."""

    DEFAULT_CSS = """
    CodePreview { border: round $primary-background; padding: 0 1; height: 1fr; overflow: auto auto; }
    CodePreview:focus { border: round $accent; }
    CodePreview > #code { width: auto; }
    """

    def __init__(self, title: str, language: str, *, placeholders: Sequence[str] = (), note: str = "",
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.language = language
        self.placeholders = tuple(placeholders)
        self.text = ""
        self.border_title = title
        self.border_subtitle = note

    def compose(self) -> ComposeResult:
        yield Static("", id="code")

    def show(self, text: str) -> None:
        """Replace the content (keeps the scroll position: the user may be reading a part)."""
        if text == self.text:
            return
        self.text = text
        self.query_one("#code", Static).update(highlighted(text, self.language, self.placeholders))


def highlighted(text: str, language: str, placeholders: Sequence[str] = ()) -> Syntax:
    """`text` highlighted for `language`, with the given <PLACEHOLDERS> marked."""
    syntax = Syntax(text.rstrip("\n"), language, theme="monokai", word_wrap=False,
                    background_color="default", indent_guides=False)
    for number, line in enumerate(text.splitlines(), start=1):
        for match in PLACEHOLDER.finditer(line):
            if match.group() in placeholders:
                syntax.stylize_range(PLACEHOLDER_STYLE, (number, match.start()), (number, match.end()))
    return syntax
