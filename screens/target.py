"""Step 0: where the stack goes (the local sandbox, or an AWS account), its name and region,
or an existing bluegreen.yaml to start from.

The sandbox boots in a background thread as soon as the app starts; the status line
says when it is ready. For AWS, the identity is checked with sts:GetCallerIdentity and
shown (account and ARN) before Next is allowed.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from bluegreen.aws.session import Identity
from bluegreen.aws.target import Connection
from screens.base import StepScreen
from screens.widgets.field import ConfigField
from screens.widgets.stack_list import StackList


class TargetReady(Message):
    """`connection` and `identity`, or None and a one-line `error`."""

    def __init__(self, connection: Connection | None, identity: Identity | None, error: str = "") -> None:
        super().__init__()
        self.connection, self.identity, self.error = connection, identity, error


def aws_profiles() -> list[str]:
    """Profiles from the user's AWS config and credentials files (no network)."""
    try:
        import botocore.session

        return sorted(botocore.session.Session().available_profiles)
    except Exception:
        return []


class TargetScreen(StepScreen):
    TITLE_TEXT = "Target"
    INTRO = ("Where should the stack live? The local sandbox is an AWS region on this machine: every "
             "call of the setup is made against it, with AWS's answers and errors, no AWS account needed.")
    PATHS = ("name", "region")

    DEFAULT_CSS = """
    TargetScreen RadioSet { width: 1fr; margin: 0 0 1 0; }
    TargetScreen #status { margin: 0 0 1 2; }
    TargetScreen #aws { height: auto; display: none; margin: 0 0 1 2; }
    TargetScreen.-aws #aws { display: block; }
    TargetScreen #open-row { height: auto; }
    TargetScreen #open-row Input { width: 1fr; }
    TargetScreen #open-error { color: $error; }
    TargetScreen #pipeline-row { height: auto; }
    TargetScreen #pipeline-row Input { width: 1fr; }
    """

    def body(self) -> ComposeResult:
        with RadioSet(id="where", compact=True):
            yield RadioButton("Local sandbox (recommended to start)", value=self.context.sandbox_requested,
                              id="use-sandbox")
            yield RadioButton("AWS account (a profile from your AWS config)",
                              value=not self.context.sandbox_requested, id="use-aws")
        yield Static("", id="status")
        yield StackList(id="stack-list")
        with Vertical(id="aws"):
            yield Label("AWS profile")
            yield Select([], prompt="(default credentials)", id="profile", compact=True)
        yield Static("Stack", classes="section")
        yield ConfigField(self.draft, "name", "Stack name",
                          "every resource name derives from it: <name>-alb, <name>-blue, ...")
        yield ConfigField(self.draft, "region", "Region")
        yield Static("Or start from an existing config", classes="section")
        with Horizontal(id="open-row"):
            yield Input(placeholder="path/to/bluegreen.yaml", id="open-path", compact=True)
            yield Button("Open", id="open", compact=True)
        yield Static("", id="open-error")
        yield Static("Or an existing pipeline in this account", classes="section")
        with Horizontal(id="pipeline-row"):
            yield Input(placeholder="pipeline name (→ accepts a suggestion)", id="pipeline-name", compact=True)
            yield Button("Check it", id="check-pipeline", compact=True)
            yield Button("Adopt", id="adopt-pipeline", compact=True)
        yield Static("[dim]Check runs the doctor: every known mistake of a CodePipeline → CodeDeploy → ECS "
                     "blue/green setup, with its fix. Adopt turns the pipeline into a bluegreen.yaml (tagging "
                     "what the stack takes over, after you confirm) and opens its live monitor.[/dim]",
                     id="pipeline-note")

    def on_mount(self) -> None:
        super().on_mount()
        self.set_class(not self.context.sandbox_requested, "-aws")
        self.load_profiles()
        if self.context.connection is not None and self.context.identity is not None:
            self.show_ready(self.context.connection, self.context.identity)
        else:
            # after the first paint: importing boto3 (and moto) must not delay the first keys
            self.call_after_refresh(self.connect)

    @work(thread=True, group="profiles")
    def load_profiles(self) -> None:
        profiles = aws_profiles()
        self.app.call_from_thread(self.query_one("#profile", Select).set_options, [(p, p) for p in profiles])

    # -- target --------------------------------------------------------------------

    @on(RadioSet.Changed, "#where")
    def where_changed(self, event: RadioSet.Changed) -> None:
        self.context.sandbox_requested = event.pressed.id == "use-sandbox"
        self.set_class(not self.context.sandbox_requested, "-aws")
        self.context.disconnect()
        self.connect()

    @on(Select.Changed, "#profile")
    def profile_changed(self) -> None:
        if not self.context.sandbox_requested:
            self.context.disconnect()
            self.connect()

    def connect(self) -> None:
        self.connecting = True
        status = self.query_one("#status", Static)
        if self.context.sandbox_requested:
            status.update("[yellow]⠿ starting the local sandbox…[/yellow]")
            self.open_target(True, None, self.draft.config.region)
        else:
            status.update("[yellow]⠿ checking your AWS credentials…[/yellow]")
            profile = self.query_one("#profile", Select).value
            self.open_target(False, None if profile is Select.NULL else str(profile), self.draft.config.region)

    @work(thread=True, exclusive=True, group="target")
    def open_target(self, sandbox: bool, profile: str | None, region: str) -> None:
        """The same connect() as the CLI's: a sandbox already answering on the default
        endpoint is used (so `bluegreen push --sandbox` in another terminal reaches the same
        one), else one is started there in a child process (in this process its request
        handling would stall the screen) for as long as the wizard runs."""
        from bluegreen.aws.target import connect, describe_failure

        self.context.disconnect()  # a sandbox of ours for another region: the stack's region decides
        try:
            connection = connect(sandbox, region, profile=profile, runner="process")
        except Exception as exc:
            self.post_message(TargetReady(None, None, describe_failure(exc)))
            return
        if not self.context.hold(connection):
            return  # the wizard closed while the sandbox started: it was stopped again
        try:
            identity = connection.identity()
        except Exception as exc:
            connection.close()
            self.post_message(TargetReady(None, None, describe_failure(exc)))
            return
        self.post_message(TargetReady(connection, identity))

    def on_target_ready(self, event: TargetReady) -> None:
        self.connecting = False
        if event.connection is None or event.identity is None:
            self.query_one("#status", Static).update(f"[red]✗ {escape(event.error)}[/red]")
            return
        self.context.connection, self.context.identity = event.connection, event.identity
        self.show_ready(event.connection, event.identity)

    def show_ready(self, connection: Connection, identity: Identity) -> None:
        note = f"\n[yellow]{escape(connection.note)}[/yellow]" if connection.note else ""
        self.query_one("#status", Static).update(
            f"[green]✓ {connection.where}[/green]  account {identity.account}  [dim]{identity.arn}[/dim]{note}")
        self.refresh_problems()
        self.list_stacks(connection)

    # -- stacks already there: the home of an account ---------------------------------

    @work(thread=True, exclusive=True, group="stacks")
    def list_stacks(self, connection: Connection) -> None:
        from bluegreen.watch.target import find_stacks

        try:
            stacks = find_stacks(connection.session)
        except Exception:
            return  # a list we cannot read is left out: setting up a stack does not need it
        if self.context.connection is connection and self.is_attached:
            self.app.call_from_thread(self.query_one(StackList).show, stacks)
        self.suggest_pipelines(connection)

    def suggest_pipelines(self, connection: Connection) -> None:
        """The region's pipeline names, suggested as the pipeline field is typed (→ accepts)."""
        from textual.suggester import SuggestFromList

        try:
            pages = connection.session.client("codepipeline").get_paginator("list_pipelines").paginate()
            names = [p["name"] for page in pages for p in page.get("pipelines", [])]
        except Exception:
            return  # completion is a convenience: typing the name works without it
        if self.context.connection is connection and self.is_attached:
            field = self.query_one("#pipeline-name", Input)
            self.app.call_from_thread(setattr, field, "suggester", SuggestFromList(names, case_sensitive=True))

    # -- an existing pipeline: the doctor ------------------------------------------------

    @on(Button.Pressed, "#check-pipeline")
    def check_pipeline(self, event: Button.Pressed) -> None:
        event.stop()
        from screens.doctor import DoctorScreen

        chosen = self.chosen_pipeline()
        if chosen is not None:
            self.app.push_screen(DoctorScreen(chosen[0].session, chosen[1]))

    @on(Button.Pressed, "#adopt-pipeline")
    def adopt_pipeline(self, event: Button.Pressed) -> None:
        event.stop()
        from screens.adopt import AdoptScreen

        chosen = self.chosen_pipeline()
        if chosen is not None:
            self.app.push_screen(AdoptScreen(chosen[0], chosen[1], self.context.base_dir))

    def chosen_pipeline(self) -> tuple[Connection, str] | None:
        """The connection and the pipeline typed, or None after saying what is missing."""
        name = self.query_one("#pipeline-name", Input).value.strip()
        connection = self.context.connection
        if not name:
            self.notify("type the name of a pipeline in this region first", severity="warning")
            self.query_one("#pipeline-name", Input).focus()
            return None
        if connection is None:
            self.notify("the target is not ready yet (see the status line)", severity="warning")
            return None
        return connection, name

    @on(StackList.Watch)
    def watch_stack(self, event: StackList.Watch) -> None:
        event.stop()
        connection = self.context.connection
        if connection is not None:
            self.notify(f"opening the monitor of {event.stack.stack}…")
            self.open_monitor(connection, event.stack.pipeline)

    @on(StackList.Check)
    def check_stack(self, event: StackList.Check) -> None:
        event.stop()
        from screens.doctor import DoctorScreen

        connection = self.context.connection
        if connection is not None:
            self.app.push_screen(DoctorScreen(connection.session, event.stack.pipeline))

    @work(thread=True, exclusive=True, group="monitor")
    def open_monitor(self, connection: Connection, pipeline: str) -> None:
        from bluegreen.aws.discovery import describe_problem
        from bluegreen.watch.target import find_target
        from screens.monitor_launch import monitor_for, prepare

        try:
            target = find_target(connection.session, pipeline)
            config = self.draft.config if self.draft.path and self.draft.config.pipeline.name == pipeline else None
            watched = prepare(connection, target, config, self.context.base_dir)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"cannot watch {pipeline}: {describe_problem(exc)}",
                                      severity="error")
            return
        self.app.call_from_thread(lambda: self.app.push_screen(monitor_for(watched)))

    # -- open an existing config ---------------------------------------------------

    @on(Button.Pressed, "#open")
    def open_config(self, event: Button.Pressed) -> None:
        event.stop()
        from bluegreen.model.configfile import ConfigError, load

        path = Path(self.query_one("#open-path", Input).value.strip())
        error = self.query_one("#open-error", Static)
        try:
            config = load(path)
        except ConfigError as exc:
            error.update(exc.message())
            return
        self.draft.replace(config, path)
        error.update(f"[green]opened {path}[/green]")
        for field in self.query(ConfigField):
            field.query_one("#editor", Input).value = str(self.draft.value(field.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "open-path":
            event.stop()
            self.query_one("#open", Button).press()
            return
        if event.input.id == "pipeline-name":
            event.stop()
            self.query_one("#check-pipeline", Button).press()
            return
        super().on_input_submitted(event)

    # -- next ----------------------------------------------------------------------

    def problems(self) -> list[str]:
        out = super().problems()
        if self.context.connection is None:
            out.append("the target is not ready yet (see the status line)")
        return out

    connecting = False

    def action_next(self) -> None:
        connection = self.context.connection
        stale = connection is not None and connection.region != self.draft.config.region
        if stale or (connection is None and not self.connecting):
            # the region changed after connecting, or the last attempt failed: (re)connect in
            # the stack's region; Next is refused until it is ready
            self.context.disconnect()
            self.connect()
        super().action_next()

