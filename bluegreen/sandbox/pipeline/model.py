"""What the pipeline engine remembers: pipelines, their executions, stage runs and action runs.

Plain data, no behaviour beyond small lookups: :mod:`.flow` moves executions through their
stages, :mod:`.engine` runs the actions, :mod:`.api` renders all of it in CodePipeline's JSON
shapes. Times are epoch seconds (the JSON protocol's timestamps).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

# Pipeline execution statuses (PipelineExecutionStatus), as AWS names them.
IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
STOPPED = "Stopped"
SUCCEEDED = "Succeeded"
SUPERSEDED = "Superseded"
FAILED = "Failed"
# Action execution statuses (ActionExecutionStatus): InProgress, Abandoned, Succeeded, Failed.
ABANDONED = "Abandoned"

ACTIVE = (IN_PROGRESS, STOPPING)

# Execution modes (ExecutionMode).
MODE_SUPERSEDED = "SUPERSEDED"
MODE_QUEUED = "QUEUED"
MODE_PARALLEL = "PARALLEL"


def new_id() -> str:
    """A pipeline or action execution id: a lowercase UUID, the pattern the API declares."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ArtifactRef:
    """An artifact as the API shows it: its name and where it lies in the artifact store."""

    name: str
    bucket: str
    key: str


@dataclass(frozen=True)
class Revision:
    """The source revision a source action used (commit, image digest, object version)."""

    revision_id: str
    change_id: str
    created: float
    summary: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Pin:
    """A revision fixed before the source action runs: by the event that started the execution
    or by StartPipelineExecution's ``sourceRevisions`` (revisionType as the API names it)."""

    revision_type: str  # COMMIT_ID, IMAGE_DIGEST, S3_OBJECT_VERSION_ID, S3_OBJECT_KEY
    value: str


@dataclass
class ActionRun:
    """One execution of one action (a retry makes a new one; the old stays in the history)."""

    execution_id: str
    stage: str
    name: str
    declaration: dict[str, Any]
    pipeline_version: int
    region: str
    action_execution_id: str = field(default_factory=new_id)
    status: str = IN_PROGRESS
    start_time: float = 0.0
    last_update_time: float = 0.0
    summary: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    error: dict[str, str] | None = None
    inputs: list[ArtifactRef] = field(default_factory=list)
    outputs: list[ArtifactRef] = field(default_factory=list)
    output_variables: dict[str, str] = field(default_factory=dict)
    revision: Revision | None = None
    # set when the action is abandoned or the sandbox stops: its worker stops waiting
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def run_order(self) -> int:
        return int(self.declaration.get("runOrder") or 1)


@dataclass
class StageRun:
    """An execution's pass through one stage (a retry continues the same stage run)."""

    name: str
    status: str = IN_PROGRESS
    # the latest run of each action in this pass; a retry removes the runs it repeats
    current: dict[str, ActionRun] = field(default_factory=dict)


@dataclass
class Trigger:
    trigger_type: str  # CreatePipeline, StartPipelineExecution, CloudWatchEvent, ...
    detail: str


@dataclass
class Execution:
    execution_id: str
    pipeline_name: str
    region: str
    definition: dict[str, Any]  # the pipeline as it was when the execution started
    pipeline_version: int
    mode: str
    trigger: Trigger
    start_time: float
    status: str = IN_PROGRESS
    last_update_time: float = 0.0
    position: int = 0  # index of the stage it is in, or waits for
    waiting: bool = True  # in front of stage ``position`` (an inbound execution)
    stages: dict[str, StageRun] = field(default_factory=dict)
    history: list[ActionRun] = field(default_factory=list)  # every action run, oldest first
    artifacts: dict[str, ArtifactRef] = field(default_factory=dict)  # output artifacts by name
    pins: dict[str, Pin] = field(default_factory=dict)  # by source action name
    variables: list[dict[str, str]] = field(default_factory=list)
    stop_reason: str | None = None
    abandon: bool = False  # the stop abandons in-progress actions

    @property
    def stage_names(self) -> list[str]:
        return [str(s["name"]) for s in self.definition.get("stages") or []]

    def stage_declaration(self, name: str) -> dict[str, Any]:
        for stage in self.definition.get("stages") or []:
            if stage.get("name") == name:
                return dict(stage)
        raise KeyError(name)

    @property
    def role_arn(self) -> str:
        return str(self.definition.get("roleArn") or "")


@dataclass
class Transition:
    """The inbound transition of a stage (DisableStageTransition / EnableStageTransition)."""

    enabled: bool = True
    reason: str | None = None
    changed_by: str | None = None
    changed_at: float | None = None


@dataclass
class PipelineRecord:
    """The executions of one pipeline (in one region) and what its stages hold."""

    region: str
    name: str
    executions: list[Execution] = field(default_factory=list)  # oldest first
    locks: dict[str, str] = field(default_factory=dict)  # stage -> execution id in it
    latest_in_stage: dict[str, str] = field(default_factory=dict)  # stage -> last entered
    transitions: dict[str, Transition] = field(default_factory=dict)
    request_tokens: dict[str, str] = field(default_factory=dict)  # clientRequestToken -> id

    def find(self, execution_id: str) -> Execution | None:
        return next((e for e in self.executions if e.execution_id == execution_id), None)

    def transition(self, stage: str) -> Transition:
        return self.transitions.setdefault(stage, Transition())
