"""Adopt an existing pipeline: read it as a bluegreen config (`bluegreen.doctor.adopt`, the same
reading as `bluegreen import`), show what the stack would take over and what the config cannot
say, then, on the user's word, tag those resources with the stack, write the config file and
open the live monitor on it.

Tagging is the one change made to the account, and it is said before it is done: the
`bluegreen:stack` tag is how plan, apply, destroy and the monitor know the stack's resources
(destroy would delete them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from bluegreen.aws.target import Connection


def short(arn: str) -> str:
    """`targetgroup/demo-tg1`, `pipeline demo-pipeline`...: the kind and name an ARN ends with."""
    tail = arn.split(":", 5)[-1]
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    parts = tail.split("/")
    if service == "elasticloadbalancing":
        return f"{parts[0]} {parts[-2] if len(parts) > 2 else parts[-1]}"
    if service == "s3":
        return f"bucket {tail}"
    if service == "ecs":
        return f"service {parts[-1]}"
    return f"{service} {tail.replace(':', ' ')}"


class AdoptScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]
    DEFAULT_CSS = """
    AdoptScreen { padding: 1 2; }
    AdoptScreen #adopt-title { text-style: bold; }
    AdoptScreen #adopt-body { height: 1fr; }
    AdoptScreen #adopt-body Static { margin: 1 0 0 0; }
    AdoptScreen #adopt-path-row { height: auto; }
    AdoptScreen #adopt-path-row Label { padding: 0 1 0 0; }
    AdoptScreen #adopt-path { width: 1fr; }
    AdoptScreen #adopt-error { color: $error; height: auto; }
    AdoptScreen #adopt-buttons { height: auto; align-horizontal: right; }
    """

    def __init__(self, connection: Connection, pipeline: str, base_dir: Path) -> None:
        super().__init__()
        self.connection, self.pipeline, self.base_dir = connection, pipeline, base_dir
        self.adopted: Any = None
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Adopt pipeline {self.pipeline} ({self.connection.region})", id="adopt-title")
        with VerticalScroll(id="adopt-body"):
            yield Static(Text("⠿ reading the pipeline, its deployment group, service and load balancer…",
                              style="yellow"), id="adopt-summary")
        with Horizontal(id="adopt-path-row"):
            yield Label("Write the config to")
            yield Input(id="adopt-path", compact=True)
        yield Static("", id="adopt-error")
        with Horizontal(id="adopt-buttons"):
            yield Button("Adopt and watch", id="adopt-go", variant="primary", disabled=True, compact=True)
            yield Button("Back", id="adopt-back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.read()

    @work(exclusive=True, group="adopt-read")
    async def read(self) -> None:
        from bluegreen.aws.discovery import describe_problem
        from bluegreen.doctor.adopt import config_from_facts
        from bluegreen.doctor.facts import Facts, Unavailable

        try:
            adopted = await config_from_facts(Facts(self.connection.session, self.pipeline))
        except Unavailable as exc:
            self.say_error(f"{self.pipeline} cannot be adopted: {exc.reason}. Check it (the home screen's "
                           "Check it) to see what is missing.")
            return
        except Exception as exc:
            self.say_error(f"{self.pipeline} cannot be adopted: {describe_problem(exc)}")
            return
        if not self.is_attached or self not in self.app.screen_stack:
            return
        self.adopted = adopted
        self.show(adopted)

    def show(self, adopted: Any) -> None:
        config = adopted.config
        owned = "\n".join(f"  • {escape(short(arn))}" for arn in adopted.resources)
        text = (f"[b]Stack {escape(config.name)}[/b] in {escape(config.region)}: the config reads the pipeline, "
                f"its sources, the deployment group, the service, task definition, listeners and target groups.\n\n"
                f"[b]Adopting tags {len(adopted.resources)} resources[/b] with bluegreen:stack={escape(config.name)} "
                "(the only change made to the account): plan, apply, destroy and the monitor then treat them as "
                "this stack's, and [b]destroy would delete them[/b].\n" + owned)
        if adopted.not_expressible:
            text += ("\n\n[b]What the config cannot say[/b] (left on the account as it is, listed in the file's "
                     "header):\n" + "\n".join(f"  • {escape(line)}" for line in adopted.not_expressible))
        self.query_one("#adopt-summary", Static).update(text)
        path = self.query_one("#adopt-path", Input)
        path.value = str(self.base_dir / f"{config.name}.yaml")
        self.query_one("#adopt-go", Button).disabled = False
        path.focus()

    def say_error(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#adopt-summary", Static).update(Text(text, style="red"))

    @on(Button.Pressed, "#adopt-go")
    def go(self, event: Button.Pressed) -> None:
        event.stop()
        path = Path(self.query_one("#adopt-path", Input).value.strip()).expanduser()
        error = self.query_one("#adopt-error", Static)
        if not path.name or path.is_dir():
            error.update("the path must name a file, e.g. ./my-stack.yaml")
            return
        if path.exists():
            error.update(f"{path} already exists: pick another path (adopting never overwrites a file)")
            return
        error.update("")
        self.query_one("#adopt-go", Button).disabled = True
        self.adopt(path)

    @work(thread=True, exclusive=True, group="adopt")
    def adopt(self, path: Path) -> None:
        from bluegreen.aws.discovery import describe_problem
        from bluegreen.doctor.adopt import tag_adopted
        from bluegreen.doctor.adopt_file import adopted_file_text
        from bluegreen.model.files import write_atomic
        from bluegreen.watch.target import target_of
        from screens.monitor_launch import monitor_for, prepare

        adopted, session = self.adopted, self.connection.session
        try:
            write_atomic(path, adopted_file_text(adopted, self.pipeline, session.region))
            self.written = path
            tagged = tag_adopted(session, adopted)
            watched = prepare(self.connection, target_of(adopted.config), adopted.config, path.parent, path)
        except Exception as exc:
            self.app.call_from_thread(self._failed, describe_problem(exc))
            return
        self.app.call_from_thread(self._done, path, len(tagged), watched, monitor_for)

    def _failed(self, why: str) -> None:
        self.query_one("#adopt-error", Static).update(f"adopting failed: {why}")
        self.query_one("#adopt-go", Button).disabled = False

    def _done(self, path: Path, tagged: int, watched: Any, monitor_for: Any) -> None:
        self.app.notify(f"wrote {path}; tagged {tagged} resource(s) bluegreen:stack={self.adopted.config.name}")
        self.dismiss(None)
        self.app.push_screen(monitor_for(watched))

    @on(Button.Pressed, "#adopt-back")
    def back(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
