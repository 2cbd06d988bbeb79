"""Form fields bound to a config path: every keystroke is checked by the Config model and
the rule and fix show right under the field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Switch

from bluegreen.model.draft import Draft, concerns


class FieldChanged(Message):
    """A field was accepted (valid) or refused (invalid); the step re-checks Next."""

    def __init__(self, path: str, valid: bool) -> None:
        super().__init__()
        self.path = path
        self.valid = valid


class ConfigField(Vertical):
    """Label, editor and error line for one config path."""

    DEFAULT_CSS = """
    ConfigField { height: auto; margin: 0 0 1 0; }
    ConfigField > .field-label { color: $text-muted; }
    ConfigField > .field-help { color: $text-muted; text-style: italic; }
    ConfigField > .field-error { color: $error; display: none; }
    ConfigField.-invalid > .field-error { display: block; }
    ConfigField Input, ConfigField Select { width: 60; background: $boost; }
    ConfigField.-invalid Input { background: $error 20%; }
    """

    def __init__(self, draft: Draft, path: str, label: str, help: str = "", *,
                 convert: Callable[[str], Any] = lambda text: text, id: str | None = None) -> None:
        super().__init__(id=id or "field-" + path.replace(".", "-"))
        self.draft = draft
        self.path = path
        self.label = label
        self.help = help
        self.convert = convert
        self.valid = True

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield from self.editor()
        if self.help:
            yield Static(self.help, classes="field-help")
        yield Static("", classes="field-error")

    def editor(self) -> ComposeResult:
        value = self.draft.value(self.path)
        yield Input(value="" if value is None else str(value), id="editor", compact=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply(event.value)

    def apply(self, raw: Any) -> None:
        try:
            value = self.convert(raw)
        except ValueError:
            value = raw  # let the model say what is wrong with it
        if self.valid and not self.draft.pending and value == self.draft.value(self.path):
            # nothing to check again (editors announce their first value when mounted)
            self.post_message(FieldChanged(self.path, True))
            return
        problems = self.draft.set(self.path, value)
        mine = [p for p in problems if concerns(p, self.path)]
        if mine:
            self.show(f"{mine[0].rule}. Fix: {mine[0].fix}")
        elif problems:  # accepted alone, but it breaks another field (cpu vs memory)
            self.show(f"{problems[0].path}: {problems[0].rule}. Fix: {problems[0].fix}")
        else:
            self.show("")
        self.post_message(FieldChanged(self.path, not problems))

    def show(self, error: str) -> None:
        self.valid = not error
        self.set_class(bool(error), "-invalid")
        self.query_one(".field-error", Static).update(error)

    def focus(self, scroll_visible: bool = True) -> ConfigField:
        self.query_one("#editor").focus(scroll_visible)
        return self


def as_int(text: str) -> int:
    return int(text.strip())


class ChoiceField(ConfigField):
    """A Select over the allowed values (e.g. Fargate memory for the chosen cpu)."""

    def __init__(self, draft: Draft, path: str, label: str, options: Sequence[tuple[str, Any]],
                 help: str = "", id: str | None = None) -> None:
        super().__init__(draft, path, label, help, id=id)
        self.options = list(options)

    def editor(self) -> ComposeResult:
        current = self.draft.value(self.path)
        values = [v for _, v in self.options]
        # Textual 8: Select.NULL is "no value"; allowed only while the current value is not offered.
        offered = current in values
        yield Select(self.options, value=current if offered else Select.NULL, allow_blank=not offered,
                     compact=True, id="editor")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self.apply(event.value)

    def set_options(self, options: Sequence[tuple[str, Any]]) -> None:
        self.options = list(options)
        select = self.query_one("#editor", Select)
        current = self.draft.value(self.path)
        select.set_options(self.options)
        if current in [v for _, v in self.options]:
            select.value = current
            select.mutate_reactive(Select.value)  # relabel even when the value did not change


class ToggleField(ConfigField):
    def editor(self) -> ComposeResult:
        yield Switch(value=bool(self.draft.value(self.path)), id="editor")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.apply(event.value)
