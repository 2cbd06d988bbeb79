"""The frame every wizard step shares: step list, title, body, problems, Back / Next.

A step screen answers `Nav.NEXT` or `Nav.BACK` when dismissed; the app's driver decides
what comes next. Its number is its place in `screens.steps.STEPS`. Next is refused while
a field of the step is invalid (the field says why).
Enter in the last field, or ctrl+n anywhere, goes to the next step; escape goes back.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Static

from screens.context import WizardContext
from screens.steps import NAMES, Nav, index_of
from screens.widgets.field import ConfigField, FieldChanged
from screens.widgets.steplist import StepList


class StepScreen(Screen[Nav]):
    """Subclasses set TITLE_TEXT, INTRO and `fields()` (and may override `body()`)."""

    TITLE_TEXT: ClassVar[str] = ""
    INTRO: ClassVar[str] = ""
    PATHS: ClassVar[tuple[str, ...]] = ()  # config paths this step owns (checked before Next)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("escape", "back", "Back"),
    ]

    DEFAULT_CSS = """
    StepScreen #frame { height: 1fr; }
    StepScreen #main { width: 1fr; padding: 0 2; }
    StepScreen #title { text-style: bold; color: $accent; margin: 1 0 0 0; }
    StepScreen #intro { color: $text-muted; margin: 0 0 1 0; }
    StepScreen #body { height: 1fr; }
    StepScreen #problems { color: $error; height: auto; }
    StepScreen #nav { height: 3; align-horizontal: right; }
    StepScreen #nav Button { margin: 0 0 0 2; }
    """

    def __init__(self, context: WizardContext) -> None:
        super().__init__()
        self.context = context
        self.draft = context.draft

    @property
    def step_index(self) -> int:
        return index_of(type(self))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="frame"):
            yield StepList(NAMES, self.step_index)
            with Vertical(id="main"):
                yield Static(f"{self.step_index}. {self.TITLE_TEXT}", id="title")
                if self.INTRO:
                    yield Static(self.INTRO, id="intro")
                with VerticalScroll(id="body"):
                    yield from self.body()
                yield Static("", id="problems")
                with Horizontal(id="nav"):
                    if self.step_index > 0:
                        yield Button("Back", id="back")
                    yield Button("Next", id="next", variant="primary")
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.sub_title = f"{self.draft.config.name} · {self.TITLE_TEXT}"
        fields = list(self.query(ConfigField))
        if fields:
            fields[0].focus()
        else:
            self.query_one("#next", Button).focus()

    # -- navigation ------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            event.stop()
            self.action_next()
        elif event.button.id == "back":
            event.stop()
            self.action_back()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field, and from the last one to the next step."""
        event.stop()
        inputs = [i for i in self.query(Input) if i.focusable and i.is_on_screen]
        if event.input in inputs and inputs.index(event.input) < len(inputs) - 1:
            inputs[inputs.index(event.input) + 1].focus()
        else:
            self.action_next()

    def on_field_changed(self, event: FieldChanged) -> None:
        self.refresh_problems()
        self.sub_title = f"{self.draft.config.name} · {self.TITLE_TEXT}"  # follows a renamed stack
        if event.valid and not self.draft.pending:
            # A field refused only because another one was (a cpu waiting for its memory)
            # is fine once nothing waits: check the ones still marked invalid again.
            for field in self.query(ConfigField):
                if not field.valid and field.path != event.path:
                    editor = field.query_one("#editor")
                    field.apply(getattr(editor, "value", None))

    def problems(self) -> list[str]:
        """What stops Next: invalid fields of this step, and refused values it owns."""
        out = [f"{f.label}: fix the value above" for f in self.query(ConfigField) if not f.valid]
        for problem in self.draft.problems:
            if any(problem.path.startswith(p) for p in self.PATHS) and not out:
                out.append(str(problem))
        return out

    def refresh_problems(self) -> None:
        self.query_one("#problems", Static).update("")

    def action_next(self) -> None:
        problems = self.problems()
        if problems:
            self.query_one("#problems", Static).update("Can't go on yet: " + "; ".join(problems))
            bad = [f for f in self.query(ConfigField) if not f.valid]
            if bad:
                bad[0].focus()
            return
        self.dismiss(Nav.NEXT)

    def action_back(self) -> None:
        if self.step_index > 0:
            self.dismiss(Nav.BACK)
