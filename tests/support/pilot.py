"""Driving the wizard under Pilot: one copy of each helper the TUI tests share.

Apps start with no target unless a session is given, and with discovery filled up front
from fixed records (`discovered`), so that nothing asks AWS and snapshots never change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from textual.widgets import Input

from bluegreen.aws.session import Target
from bluegreen.model.draft import Draft
from screens.lookups import Key
from screens.widgets.field import ConfigField
from tui.app import BlueGreenApp

SIZE = (120, 40)  # every snapshot's terminal: the step list plus 96 columns


async def until(pilot: Any, condition: Callable[[], Any], seconds: float = 30.0, what: str = "") -> None:
    """Let the app run until `condition()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {seconds:g}s waiting for {what or condition}")


class NoCalls:
    """A session for screens fed from fixed records: any AWS call is a test bug."""

    region = "us-east-1"
    target = Target(region=region)  # AWS itself: adopting it starts nothing

    def client(self, service: str) -> Any:
        raise AssertionError(f"no AWS call expected here (asked for {service})")


def make_app(discovered: Mapping[Key, Any] | None = None, session: Any = None, draft: Draft | None = None,
             **options: Any) -> BlueGreenApp:
    """The wizard on `draft` (a new one by default), with no driver unless `auto_start=True`."""
    options.setdefault("auto_start", False)
    app = BlueGreenApp(draft or Draft.new(), sandbox=True, **options)
    app.context.discovered.update(discovered or {})
    app.context.adopt(session)
    return app


async def show(pilot: Any, screen_class: type, results: list[Any] | None = None) -> Any:
    """Push one step screen; what it is dismissed with is appended to `results`."""
    screen = screen_class(pilot.app.context)
    await pilot.app.push_screen(screen, callback=None if results is None else results.append)
    await pilot.pause()
    await pilot.pause()
    return screen


def field(screen: Any, path: str) -> ConfigField:
    return screen.query_one("#field-" + path.replace(".", "-"), ConfigField)


async def fill(pilot: Any, field: ConfigField, text: str) -> None:
    """Replace a field's text at once (the same Input.Changed path as typing, fewer frames)."""
    field.query_one("#editor", Input).value = text
    await pilot.pause()


async def type_keys(pilot: Any, field: ConfigField, text: str) -> None:
    """Type into a field key by key, as a user does."""
    editor = field.query_one("#editor", Input)
    editor.focus()
    editor.clear()
    await pilot.press(*text)
    await pilot.pause()


def text_of(widget: Any, selector: str) -> str:
    return str(widget.query_one(selector).render())


def problems(screen: Any) -> str:
    """What the step says stops Next."""
    return text_of(screen, "#problems")


async def steady(pilot: Any) -> None:
    """A blinking cursor is caught on or off depending on timing: keep it on."""
    for editor in pilot.app.screen.query(Input):
        editor.cursor_blink = False
    await pilot.pause()
