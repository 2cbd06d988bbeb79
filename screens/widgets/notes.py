"""Small helpers for the notes steps show beside their fields, and for their error lines."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Static

from screens.widgets.field import ConfigField


def show(widget: Static, text: str) -> None:
    """Update a note line, and take no room when it is empty."""
    widget.update(text)
    widget.display = bool(text)


def set_help(field: ConfigField, text: str) -> None:
    """Change the help line under a field (it must have been built with a help text)."""
    field.help = text
    field.query_one(".field-help", Static).update(text)


def revalidate(screen: Screen[Any]) -> None:
    """Check again the fields that show a problem, once the draft holds no refused value.

    A field refused only because another field's value was refused (a tag typed while the
    repository name was wrong) keeps its message until it is checked again; without this it
    would hold Next after the other field was fixed. (A candidate for StepScreen itself.)
    """
    if screen.draft.pending:  # type: ignore[attr-defined]
        return
    for field in screen.query(ConfigField):
        if not field.valid:
            field.apply(field.query_one("#editor").value)  # type: ignore[attr-defined]
