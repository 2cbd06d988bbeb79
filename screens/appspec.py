"""Step 3: the AppSpec CodeDeploy follows: the container and port traffic goes to (they come from
the task definition, so they are shown, not asked), and optional Lambda hooks per lifecycle
event, beside a live preview of appspec.yaml.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static

from screens.base import StepScreen
from screens.widgets.build_progress import BuildStatusLine
from screens.widgets.field import ConfigField, FieldChanged
from screens.widgets.notes import revalidate
from screens.widgets.preview import CodePreview

# lifecycle event -> when CodeDeploy calls its hook (in the order they happen)
HOOKS = {
    "BeforeInstall": "before green starts",
    "AfterInstall": "green up, no traffic yet",
    "AfterAllowTestTraffic": "test port on green",
    "BeforeAllowTraffic": "before the switch",
    "AfterAllowTraffic": "production on green",
}


def optional(text: str) -> str | None:
    """An empty hook field means no hook (the key leaves the config)."""
    return text.strip() or None


class AppSpecScreen(StepScreen):
    TITLE_TEXT = "AppSpec"
    INTRO = ("How CodeDeploy swaps in a new version: which container and port the load balancer sends "
             "traffic to, and Lambda functions to call at each stage (optional, e.g. smoke tests).")
    PATHS = ("codeDeploy.hooks",)

    DEFAULT_CSS = """
    AppSpecScreen #columns { height: 1fr; }
    AppSpecScreen #form { width: 44; height: 1fr; padding: 0 1 0 0; }
    AppSpecScreen #form ConfigField Input { width: 40; }
    AppSpecScreen #derived { height: auto; margin: 0 0 1 0; }
    AppSpecScreen #hooks-title { text-style: bold; }
    AppSpecScreen #hooks-help { color: $text-muted; margin: 0 0 1 0; }
    AppSpecScreen #preview { width: 1fr; }
    """

    def body(self) -> ComposeResult:
        with Horizontal(id="columns"):
            with VerticalScroll(id="form"):
                yield Static(self.derived(), id="derived")
                yield Static("Lifecycle hooks (optional)", id="hooks-title")
                yield Static("A Lambda function name per event; leave empty for none.", id="hooks-help")
                for event, when in HOOKS.items():
                    yield ConfigField(self.draft, f"codeDeploy.hooks.{event}", f"{event} · {when}",
                                      convert=optional)
                yield BuildStatusLine(self.context)
            yield CodePreview("appspec.yaml (preview)", "yaml", placeholders=("<TASK_DEFINITION>",),
                              note="<TASK_DEFINITION>: filled in by the pipeline", id="preview")

    def derived(self) -> str:
        task = self.draft.config.task
        return (f"Container  [b]{task.container_name}[/b]\n"
                f"Port       [b]{task.container_port}[/b]\n"
                "[dim]from the task definition (step 2)[/dim]")

    def on_mount(self) -> None:
        super().on_mount()
        for event in HOOKS:  # an empty box reads as "nothing to say here": say it
            field = self.query_one(f"#field-codeDeploy-hooks-{event}", ConfigField)
            field.query_one(Input).placeholder = "none (e.g. CodeDeployHook_smoke-test)"
        self.refresh_preview()

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        revalidate(self)
        self.refresh_preview()

    def refresh_preview(self) -> None:
        from renderers.requests import appspec_yaml

        config = self.draft.config
        self.query_one("#preview", CodePreview).show(appspec_yaml(config))
