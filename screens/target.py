"""Step 0: where the stack goes (the local sandbox, or an AWS account), its name and region,
or an existing bluegreen.yaml to start from.

The sandbox boots in a background thread as soon as the app starts; the status line
says when it is ready. For AWS, the identity is checked with sts:GetCallerIdentity and
shown (account and ARN) before Next is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from screens.base import StepScreen
from screens.widgets.field import ConfigField


class TargetReady(Message):
    def __init__(self, session: Any, identity: Any, where: str, error: str = "") -> None:
        super().__init__()
        self.session, self.identity, self.where, self.error = session, identity, where, error


def aws_profiles() -> list[str]:
    """Profiles from the user's AWS config and credentials files (no network)."""
    try:
        import botocore.session

        return sorted(botocore.session.Session().available_profiles)
    except Exception:
        return []


class TargetScreen(StepScreen):
    STEP_INDEX = 0
    TITLE_TEXT = "Target"
    INTRO = ("Where should the stack live? The local sandbox runs the whole procedure on this machine "
             "(containers on the local Docker engine, real HTTP traffic), no AWS account needed.")
    PATHS = ("name", "region")

    DEFAULT_CSS = """
    TargetScreen RadioSet { width: 1fr; margin: 0 0 1 0; }
    TargetScreen #status { margin: 0 0 1 2; }
    TargetScreen #aws { height: auto; display: none; margin: 0 0 1 2; }
    TargetScreen.-aws #aws { display: block; }
    TargetScreen #open-row { height: auto; }
    TargetScreen #open-row Input { width: 1fr; }
    TargetScreen #open-error { color: $error; }
    """

    def body(self) -> ComposeResult:
        with RadioSet(id="where", compact=True):
            yield RadioButton("Local sandbox (recommended to start)", value=self.context.sandbox_requested,
                              id="use-sandbox")
            yield RadioButton("AWS account (a profile from your AWS config)",
                              value=not self.context.sandbox_requested, id="use-aws")
        yield Static("", id="status")
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

    def on_mount(self) -> None:
        super().on_mount()
        self.set_class(not self.context.sandbox_requested, "-aws")
        self.load_profiles()
        if self.context.session is not None:
            self.show_ready(self.context.identity, self.context.recall("target.where") or "")
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
        self.context.session = None
        self.connect()

    @on(Select.Changed, "#profile")
    def profile_changed(self) -> None:
        if not self.context.sandbox_requested:
            self.context.session = None
            self.connect()

    def connect(self) -> None:
        self.connecting = True
        status = self.query_one("#status", Static)
        if self.context.sandbox_requested:
            status.update("[yellow]⠿ starting the local sandbox…[/yellow]")
            self.start_sandbox(self.draft.config.region)
        else:
            status.update("[yellow]⠿ checking your AWS credentials…[/yellow]")
            profile = self.query_one("#profile", Select).value
            self.check_aws(None if profile is Select.NULL else str(profile), self.draft.config.region)

    @work(thread=True, exclusive=True, group="target")
    def start_sandbox(self, region: str) -> None:
        """Use a sandbox already answering on the default port, else start one there (so
        that `bluegreen push --sandbox` in another terminal reaches it while the wizard is
        open), else on any free port."""
        from bluegreen.aws.session import AwsSession, Target
        from bluegreen.sandbox.process import free_port, spawn_sandbox
        from bluegreen.sandbox.server import sandbox_region

        default = "http://127.0.0.1:4599"
        try:
            if self.context.sandbox is not None and self.context.sandbox.region != region:
                self.context.close()  # ours, for another region: the stack's region decides
            served = sandbox_region(default) if self.context.sandbox is None else None
            if self.context.sandbox is not None:
                url = self.context.sandbox.endpoint_url
            elif served is not None:
                if served != region:
                    self.post_message(TargetReady(None, None, "", (
                        f"the sandbox running at {default} serves {served}, not {region}: set the region "
                        f"below to {served}, or stop that sandbox and press Next")))
                    return
                url = default
            else:
                # a child process: in this one, its request handling would stall the screen
                try:
                    self.context.sandbox = spawn_sandbox(port=4599, region=region)
                except OSError:  # the port is taken by something else
                    self.context.sandbox = spawn_sandbox(port=free_port(), region=region)
                url = self.context.sandbox.endpoint_url
            session = AwsSession(Target(endpoint_url=url, region=region))
            identity = session.identity()
        except Exception as exc:
            self.post_message(TargetReady(None, None, "", f"the sandbox did not start: {exc}"))
            return
        self.post_message(TargetReady(session, identity, f"local sandbox at {url}"))

    @work(thread=True, exclusive=True, group="target")
    def check_aws(self, profile: str | None, region: str) -> None:
        from bluegreen.aws.session import AwsSession, Target
        from bluegreen.errors import Failed

        try:
            session = AwsSession(Target(profile=profile, region=region))
            identity = session.identity()
        except Failed as exc:
            self.post_message(TargetReady(None, None, "", str(exc)))
            return
        except Exception as exc:
            self.post_message(TargetReady(None, None, "", f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(TargetReady(session, identity, f"AWS profile {profile or 'default'}"))

    def on_target_ready(self, event: TargetReady) -> None:
        self.connecting = False
        if event.error:
            self.query_one("#status", Static).update(f"[red]✗ {event.error}[/red]")
            return
        self.context.session, self.context.identity = event.session, event.identity
        self.context.remember("target.where", event.where)
        self.show_ready(event.identity, event.where)

    def show_ready(self, identity: Any, where: str) -> None:
        self.query_one("#status", Static).update(
            f"[green]✓ {where}[/green]  account {identity.account}  [dim]{identity.arn}[/dim]")
        self.refresh_problems()

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
        self.draft.config, self.draft.path, self.draft.dirty = config, path, False
        self.draft.pending.clear()
        error.update(f"[green]opened {path}[/green]")
        for field in self.query(ConfigField):
            field.query_one("#editor", Input).value = str(self.draft.value(field.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "open-path":
            event.stop()
            self.query_one("#open", Button).press()
            return
        super().on_input_submitted(event)

    # -- next ----------------------------------------------------------------------

    def problems(self) -> list[str]:
        out = super().problems()
        if self.context.session is None:
            out.append("the target is not ready yet (see the status line)")
        return out

    connecting = False

    def action_next(self) -> None:
        session = self.context.session
        stale = session is not None and session.region != self.draft.config.region
        if stale or (session is None and not self.connecting):
            # the region changed after connecting, or the last attempt failed: (re)connect in
            # the stack's region; Next is refused until it is ready
            self.context.session = None
            self.connect()
        super().action_next()

