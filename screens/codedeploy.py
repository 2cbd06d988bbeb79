"""Step 7: CodeDeploy: the application and deployment group, how traffic moves from blue to
green (one of the five predefined ECS configs, or a custom linear / canary one, drawn as a small
chart that follows the choice), whether it moves as soon as green is healthy or waits for a
manual continue, how long blue is kept afterwards, and which events roll back automatically.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Label, Select, Static

from bluegreen.aws import discovery
from bluegreen.aws.discovery_records import CodeDeployApplication
from bluegreen.aws.preflight import application_problems
from bluegreen.model import rules
from bluegreen.model.config import CustomTrafficShift
from bluegreen.model.draft import concerns
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.field import ConfigField, FieldChanged, as_int
from screens.widgets.traffic_drawing import TrafficDrawing

CUSTOM = ("linear", "canary")  # the picker's values for a custom config
CUSTOM_DEFAULTS = {"linear": (10, 2), "canary": (20, 10)}  # percent, interval: a starting point
READY_OPTIONS = [
    ("at once, as soon as the green tasks are healthy", "CONTINUE_DEPLOYMENT"),
    ("after my continue (test green on the test port first)", "STOP_DEPLOYMENT"),
]
ROLLBACK_EVENTS = {
    "DEPLOYMENT_FAILURE": "when the deployment fails (e.g. green tasks never become healthy)",
    "DEPLOYMENT_STOP_ON_REQUEST": "when you stop the deployment",
    "DEPLOYMENT_STOP_ON_ALARM": "when a CloudWatch alarm fires (name the alarms)",
}


def config_options() -> list[tuple[str, str]]:
    options = [(f"{name.removeprefix('CodeDeployDefault.')}: {text}", name)
               for name, text in rules.PREDEFINED_DEPLOYMENT_CONFIGS.items()]
    return [*options, ("custom linear: a percentage more every N minutes", "linear"),
            ("custom canary: a percentage first, the rest after N minutes", "canary")]


def as_names(text: str) -> list[str]:
    return [n.strip() for n in str(text).split(",") if n.strip()]


class NamesField(ConfigField):
    """A list of names typed as "a, b" (the alarms)."""

    def editor(self) -> ComposeResult:
        from textual.widgets import Input

        yield Input(value=", ".join(self.draft.value(self.path) or []), id="editor", compact=True)


class ShiftPartField(ConfigField):
    """The percent or the interval of a custom config. The config takes the whole mapping,
    so each change is written as {type, percent, intervalMinutes} built by the screen."""

    def __init__(self, draft: Any, key: str, label: str, value: int, help: str = "") -> None:
        super().__init__(draft, f"codeDeploy.deploymentConfig.{key}", label, help, convert=as_int)
        self.key = key
        self.initial = value

    def editor(self) -> ComposeResult:
        from textual.widgets import Input

        yield Input(value=str(self.initial), id="editor", compact=True)

    def apply(self, raw: Any) -> None:
        screen = self.screen
        if not isinstance(screen, CodeDeployScreen) or screen.kind() not in CUSTOM:
            return  # hidden while a predefined config is chosen
        try:
            value = self.convert(raw)
        except ValueError:
            value = raw  # let the model say what is wrong with it
        screen.custom[self.key] = value
        problems = self.draft.set("codeDeploy.deploymentConfig", screen.custom_mapping())
        mine = [p for p in problems if concerns(p, self.path)]
        if mine:
            self.show(f"{mine[0].rule}. Fix: {mine[0].fix}")
        elif problems:
            self.show(f"{problems[0].path}: {problems[0].rule}. Fix: {problems[0].fix}")
        else:
            self.show("")
        self.post_message(FieldChanged(self.path, not problems))


class CodeDeployScreen(StepScreen):
    TITLE_TEXT = "CodeDeploy"
    INTRO = ("CodeDeploy starts the new version (green) beside the running one (blue), moves the "
             "production traffic over, and keeps blue for a while so that a rollback is instant.")
    PATHS = ("codeDeploy",)

    DEFAULT_CSS = """
    CodeDeployScreen Select.picker { width: 70; margin: 0 0 1 0; background: $boost; }
    CodeDeployScreen .pair { height: auto; }
    CodeDeployScreen .pair ConfigField { width: 1fr; }
    CodeDeployScreen .pair ConfigField Input { width: 1fr; margin: 0 2 0 0; }
    CodeDeployScreen .hint { color: $text-muted; height: auto; margin: 0 0 1 0; }
    CodeDeployScreen #custom { display: none; }
    CodeDeployScreen.-custom #custom { display: block; }
    CodeDeployScreen #field-codeDeploy-readyWaitMinutes { display: none; }
    CodeDeployScreen.-wait #field-codeDeploy-readyWaitMinutes { display: block; }
    CodeDeployScreen #field-codeDeploy-alarms { display: none; }
    CodeDeployScreen.-alarms #field-codeDeploy-alarms { display: block; }
    CodeDeployScreen Checkbox { border: none; padding: 0; background: $surface; }
    CodeDeployScreen #rollback-error { color: $error; height: auto; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        shift = self.draft.config.code_deploy.deployment_config
        if isinstance(shift, CustomTrafficShift):
            self.custom: dict[str, Any] = {"type": shift.type, "percent": shift.percent,
                                           "intervalMinutes": shift.interval_minutes}
            # a name the user gave survives; a derived one follows percent and interval
            derived = f"{self.draft.config.name}-{shift.type}-{shift.percent}pct-every-{shift.interval_minutes}min"
            self.custom_name = "" if shift.name == derived else shift.name
        else:
            # the custom values typed before a predefined config was picked (kept for Back)
            percent, interval = CUSTOM_DEFAULTS["linear"]
            self.custom = context.custom_shift or {"type": "linear", "percent": percent,
                                                         "intervalMinutes": interval}
            self.custom_name = ""
        self.applications: list[CodeDeployApplication] | None = None

    # -- layout --------------------------------------------------------------------

    def body(self) -> ComposeResult:
        cd = self.draft.config.code_deploy
        with Horizontal(classes="pair"):
            yield ConfigField(self.draft, "codeDeploy.application", "Application",
                              "groups the deployment groups of one app")
            yield ConfigField(self.draft, "codeDeploy.deploymentGroup", "Deployment group",
                              "ties the ECS service to the two target groups")
        yield Static("", id="app-status", classes="hint")
        yield Label("How traffic moves to green (deployment config)", classes="field-label")
        yield Select(config_options(), value=self.kind(), allow_blank=False, compact=True,
                     id="deployment-config", classes="picker")
        with Horizontal(id="custom", classes="pair"):
            yield ShiftPartField(self.draft, "percent", "Percent per step", int(self.custom["percent"]),
                                 "1-99: the share moved per step")
            yield ShiftPartField(self.draft, "intervalMinutes", "Interval (minutes)",
                                 int(self.custom["intervalMinutes"]), "1-2880: the time between steps")
        yield TrafficDrawing(id="drawing")
        yield Label("When green is ready, move production traffic", classes="field-label")
        yield Select(READY_OPTIONS, value=cd.ready_action, allow_blank=False, compact=True, id="ready",
                     classes="picker")
        yield ConfigField(self.draft, "codeDeploy.readyWaitMinutes", "Wait for the continue up to (minutes)",
                          "without a continue in time, the deployment stops and traffic stays on blue",
                          convert=as_int)
        yield ConfigField(self.draft, "codeDeploy.terminationWaitMinutes", "Keep blue after the switch (minutes)",
                          "0-2880: until then a rollback just moves the traffic back", convert=as_int)
        yield Label("Roll back automatically", classes="field-label")
        for event, text in ROLLBACK_EVENTS.items():
            yield Checkbox(f"{text}  [dim]{event}[/dim]", value=event in cd.auto_rollback_events,
                           id=f"rb-{event}", compact=True)
        yield Static("", id="rollback-error")
        yield NamesField(self.draft, "codeDeploy.alarms", "CloudWatch alarms (comma-separated names)",
                         "any of them in ALARM stops the deployment and rolls back", convert=as_names)

    def kind(self) -> str:
        """The picker's value: a predefined config name, or "linear" / "canary"."""
        shift = self.draft.config.code_deploy.deployment_config
        return shift if isinstance(shift, str) else shift.type

    def custom_mapping(self) -> dict[str, Any]:
        mapping = dict(self.custom)
        if self.custom_name:
            mapping["name"] = self.custom_name
        return mapping

    def on_mount(self) -> None:
        super().on_mount()
        cd = self.draft.config.code_deploy
        self.set_class(self.kind() in CUSTOM, "-custom")
        self.set_class(cd.ready_action == "STOP_DEPLOYMENT", "-wait")
        self.set_class("DEPLOYMENT_STOP_ON_ALARM" in cd.auto_rollback_events, "-alarms")
        self.redraw()
        key = Key(Kind.CODEDEPLOY_APPLICATIONS)
        if self.context.session is not None or self.context.discovered.knows(key):
            fetch(self, self.context, key, discovery.codedeploy_applications, self.context.session)

    # -- deployment config ----------------------------------------------------------

    @on(Select.Changed, "#deployment-config")
    def config_picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value == self.kind() or event.value is Select.NULL:
            return
        value = str(event.value)
        if value in CUSTOM:
            if self.custom["type"] != value:
                percent, interval = CUSTOM_DEFAULTS[value]
                self.custom.update(type=value, percent=percent, intervalMinutes=interval)
                for field in self.query(ShiftPartField):
                    field.query_one("#editor").value = str(self.custom[field.key])  # type: ignore[attr-defined]
            self.draft.set("codeDeploy.deploymentConfig", self.custom_mapping())
        else:
            if self.kind() in CUSTOM:
                self.context.custom_shift = dict(self.custom)
            self.draft.set("codeDeploy.deploymentConfig", value)
        for field in self.query(ShiftPartField):
            field.show("")
        self.set_class(value in CUSTOM, "-custom")
        self.redraw()
        self.refresh_problems()

    def redraw(self) -> None:
        shift = self.draft.config.code_deploy.deployment_config
        pending = self.draft.pending.get("codeDeploy.deploymentConfig")
        if pending is not None:
            return  # a custom value being typed that the model refused: keep the last good drawing
        self.query_one(TrafficDrawing).show(shift)

    # -- ready action --------------------------------------------------------------

    @on(Select.Changed, "#ready")
    def ready_picked(self, event: Select.Changed) -> None:
        event.stop()
        action = str(event.value)
        if action == self.draft.config.code_deploy.ready_action:
            return
        minutes = self.query_one("#field-codeDeploy-readyWaitMinutes", ConfigField)
        editor = minutes.query_one("#editor")
        if action == "STOP_DEPLOYMENT":
            # the two go together: STOP needs a wait of at least a minute
            self.draft.set("codeDeploy.readyAction", action)
            text = editor.value if editor.value not in ("", "0") else "60"  # type: ignore[attr-defined]
            editor.value = text  # type: ignore[attr-defined]
            minutes.apply(text)
        else:
            self.draft.set("codeDeploy.readyAction", action)
            self.draft.set("codeDeploy.readyWaitMinutes", 0)
            minutes.show("")
        self.set_class(action == "STOP_DEPLOYMENT", "-wait")
        self.refresh_problems()

    # -- auto-rollback ---------------------------------------------------------------

    @on(Checkbox.Changed)
    def rollback_toggled(self, event: Checkbox.Changed) -> None:
        event.stop()
        events = [e for e in ROLLBACK_EVENTS if self.query_one(f"#rb-{e}", Checkbox).value]
        on_alarm = "DEPLOYMENT_STOP_ON_ALARM" in events
        self.set_class(on_alarm, "-alarms")
        if not on_alarm:
            self.draft.set("codeDeploy.alarms", [])
        problems = self.draft.set("codeDeploy.autoRollbackEvents", events)
        if on_alarm and problems:
            alarms = self.query_one("#field-codeDeploy-alarms", ConfigField)
            alarms.focus(scroll_visible=False)
            # once the layout shows the field (and the error above it), bring it into view
            self.call_after_refresh(alarms.scroll_visible, animate=False)
        self.show_rollback_error()
        self.refresh_problems()

    def show_rollback_error(self) -> None:
        mine = [p for p in self.draft.problems
                if concerns(p, "codeDeploy.autoRollbackEvents") or concerns(p, "codeDeploy.alarms")]
        text = f"{mine[0].rule}. Fix: {mine[0].fix}" if mine else ""
        self.query_one("#rollback-error", Static).update(text)

    # -- applications ---------------------------------------------------------------

    def on_discovered(self, event: Discovered) -> None:
        status = self.query_one("#app-status", Static)
        if event.error:
            status.update(f"[red]✗ {event.error}[/red]")
            return
        self.applications = list(event.value)
        self.show_application_status()

    def existing_application(self) -> CodeDeployApplication | None:
        name = self.draft.config.code_deploy.application
        return next((a for a in self.applications or [] if a.name == name), None)

    def show_application_status(self) -> None:
        status = self.query_one("#app-status", Static)
        if self.applications is None:
            return
        cd = self.draft.config.code_deploy
        app = self.existing_application()
        if app is None:
            status.update(f"[dim]a new application {cd.application} will be created[/dim]")
        elif application_problems(self.draft.config, [app]):
            status.update(f"[red]✗ {app.name} exists for the {app.compute_platform} platform; an ECS "
                          "deployment group needs an ECS application. Fix: choose another name[/red]")
        elif cd.deployment_group in app.deployment_groups:
            status.update(f"[green]✓ existing application {app.name} and group {cd.deployment_group}[/green]"
                          " [dim]: the group is updated to match[/dim]")
        else:
            status.update(f"[green]✓ existing ECS application {app.name}[/green] [dim]: the group "
                          f"{cd.deployment_group} is added to it[/dim]")

    # -- changes and Next --------------------------------------------------------------

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        if event.path.startswith("codeDeploy.deploymentConfig"):
            self.redraw()
        elif event.path == "codeDeploy.alarms":
            self.show_rollback_error()
        self.show_application_status()

    def problems(self) -> list[str]:
        return [*super().problems(),
                *(f"{p.path}: {p.rule}. Fix: {p.fix}" for p in application_problems(self.draft.config,
                                                                                    self.applications or []))]
