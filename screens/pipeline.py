"""Step 8: the pipeline: its name, type and execution mode, the bucket where its stages pass
artifacts, and a drawing of its two stages derived from what the earlier steps chose.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from bluegreen.aws import discovery
from bluegreen.aws.discovery_records import Pipeline
from screens.base import StepScreen
from screens.discover import Discovered, fetch
from screens.lookups import Key, Kind
from screens.widgets.field import ChoiceField, ConfigField, FieldChanged
from screens.widgets.pipeline_drawing import PipelineDrawing

TYPES = [("V2: execution modes, variables, triggers (recommended)", "V2"),
         ("V1: the original type (SUPERSEDED only)", "V1")]
# PARALLEL is not offered: CodeDeploy runs one deployment of a group at a time, so a second
# run's deploy action would fail (bluegreen.model.checks.parallel_problems refuses it too).
MODES = {
    "QUEUED": "QUEUED: one run at a time, the others wait their turn",
    "SUPERSEDED": "SUPERSEDED: a newer run replaces a waiting one",
}


def mode_options(pipeline_type: str) -> list[tuple[str, str]]:
    modes = ["SUPERSEDED"] if pipeline_type == "V1" else list(MODES)
    return [(MODES[m], m) for m in modes]


class PipelineScreen(StepScreen):
    TITLE_TEXT = "Pipeline"
    INTRO = ("CodePipeline ties it together: a commit to the source or an image pushed to ECR starts a run "
             "that hands the task definition and the image to CodeDeploy.")
    PATHS = ("pipeline",)

    DEFAULT_CSS = """
    PipelineScreen .hint { color: $text-muted; height: auto; margin: 0 0 1 0; }
    PipelineScreen #stages { margin: 0 0 1 0; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.pipelines: list[Pipeline] | None = None

    def body(self) -> ComposeResult:
        yield PipelineDrawing(id="stages")
        yield ConfigField(self.draft, "pipeline.name", "Pipeline name",
                          "1-100 letters, digits, '.', '@', '-', '_'; derived from the stack name")
        yield Static("", id="pipeline-status", classes="hint")
        yield ChoiceField(self.draft, "pipeline.type", "Type", TYPES)
        yield ChoiceField(self.draft, "pipeline.executionMode", "Execution mode",
                          mode_options(self.draft.config.pipeline.type))
        yield ConfigField(self.draft, "pipeline.artifactBucket", "Artifact bucket",
                          "S3 bucket where the stages pass files; bucket names are global, so it carries "
                          "the stack name and region")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(PipelineDrawing).show(self.draft.config)
        key = Key(Kind.PIPELINES)
        if self.context.session is not None or self.context.discovered.knows(key):
            fetch(self, self.context, key, discovery.pipelines, self.context.session)

    def on_discovered(self, event: Discovered) -> None:
        if event.error:
            self.query_one("#pipeline-status", Static).update(f"[red]✗ {event.error}[/red]")
            return
        self.pipelines = list(event.value)
        self.show_status()

    def show_status(self) -> None:
        if self.pipelines is None:
            return
        name = self.draft.config.pipeline.name
        found = next((p for p in self.pipelines if p.name == name), None)
        text = (f"[yellow]a pipeline named {name} exists ({found.pipeline_type}, version {found.version}): "
                "it will be updated to this definition[/yellow]" if found
                else f"[dim]a new pipeline {name} will be created[/dim]")
        self.query_one("#pipeline-status", Static).update(text)

    def on_field_changed(self, event: FieldChanged) -> None:
        super().on_field_changed(event)
        types = self.query_one("#field-pipeline-type", ChoiceField)
        modes = self.query_one("#field-pipeline-executionMode", ChoiceField)
        if event.path == "pipeline.type":
            chosen = str(self.draft.value("pipeline.type"))
            if modes.options != mode_options(chosen):
                modes.set_options(mode_options(chosen))
            if chosen == "V1":
                # V1 only runs SUPERSEDED: choose it for the user rather than refuse the type
                modes.apply("SUPERSEDED")
        elif event.path == "pipeline.executionMode" and event.valid and not types.valid:
            types.apply(self.draft.value("pipeline.type"))  # the mode now fits the type
        self.query_one(PipelineDrawing).show(self.draft.config)
        self.show_status()
