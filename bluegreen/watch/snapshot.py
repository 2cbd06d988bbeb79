"""What the monitor knows at one moment: immutable values, built by the poller from the AWS
answers and read by every front end (the monitor screen, `bluegreen status [--json]`, `push`'s
follow lines). Nothing here calls AWS or knows Textual.

Times are timezone-aware datetimes as boto3 returns them; `taken_at` is when the poll that made
the snapshot ended, and every "time left" or "running for" is counted from it, so two front ends
showing one snapshot say the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class WatchTarget:
    """The names of one stack's watched resources (from its config, or found from its pipeline)."""

    stack: str
    region: str
    pipeline: str
    application: str
    deployment_group: str
    cluster: str
    service: str
    load_balancer: str
    blue_target_group: str
    green_target_group: str
    production_port: int
    test_port: int
    log_group: str
    container: str
    watched_image: str = ""  # repository:tag whose push starts the pipeline ("" if none)


# -- pipeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRevision:
    action: str  # the source action's name
    revision_id: str  # image digest, commit id or S3 object version
    summary: str = ""  # image tag / commit message / object key, as AWS summarises it
    url: str = ""


@dataclass(frozen=True)
class Execution:
    id: str
    status: str  # InProgress | Stopped | Stopping | Succeeded | Superseded | Failed | Cancelled
    trigger: str  # triggerType, e.g. CloudWatchEvent, StartPipelineExecution, CreatePipeline
    trigger_detail: str  # triggerDetail (the rule's ARN, the user's ARN...)
    revisions: tuple[SourceRevision, ...]
    started: datetime | None
    updated: datetime | None
    duration_s: float | None  # updated - started once ended, taken_at - started while running
    status_summary: str = ""


@dataclass(frozen=True)
class ActionState:
    stage: str
    name: str
    provider: str  # ECR, CodeCommit, S3, CodeDeployToECS
    run_order: int
    status: str  # InProgress | Abandoned | Succeeded | Failed | "" (not run in this execution)
    started: datetime | None
    updated: datetime | None
    summary: str = ""
    error: str = ""  # errorDetails.message (or the action execution's output summary on failure)
    external_id: str = ""  # the deploy action's deployment id
    external_url: str = ""


@dataclass(frozen=True)
class StageState:
    name: str
    status: str  # of the selected execution in this stage ("" if it never reached it)
    actions: tuple[ActionState, ...]
    inbound_enabled: bool = True  # stage transition
    retryable: bool = False  # a Failed stage of the latest execution: RetryStageExecution works


# -- deployment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleEvent:
    name: str  # BeforeInstall, Install, AfterInstall, AllowTestTraffic, ...
    status: str  # Pending | InProgress | Succeeded | Failed | Skipped | Unknown
    started: datetime | None
    ended: datetime | None
    diagnostic: str = ""


@dataclass(frozen=True)
class TaskSetState:
    id: str
    label: str  # Blue | Green
    status: str  # PRIMARY | ACTIVE | DRAINING ...
    desired: int
    pending: int
    running: int
    traffic_weight: float  # percent, 0..100
    task_definition: str = ""  # family:revision
    target_group: str = ""


class WaitKind(enum.StrEnum):
    READY = "ready"  # READY_WAIT: green is up, traffic waits for `continue`
    TERMINATION = "termination"  # TERMINATION_WAIT: traffic moved, blue kept until it ends


@dataclass(frozen=True)
class Wait:
    kind: WaitKind
    ends_at: datetime | None  # None: no end is known (the deployment did not say when the wait began)
    seconds_left: float | None  # from the snapshot's taken_at; None with ends_at None
    # What happens at ends_at unless someone acts first (docs/monitor.md): a ready wait of the
    # STOP_DEPLOYMENT option stops the deployment ("STOP_DEPLOYMENT": it waits for a person), of
    # CONTINUE_DEPLOYMENT reroutes traffic by itself; a termination wait removes the original
    # task set ("TERMINATE").
    on_timeout: str = ""
    started: datetime | None = None

    @property
    def needs_person(self) -> bool:
        """A ready wait that ends in a stopped deployment unless someone continues it."""
        return self.kind is WaitKind.READY and self.on_timeout == "STOP_DEPLOYMENT"


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str  # Created | Queued | InProgress | Baking | Ready | Succeeded | Failed | Stopped
    creator: str  # user | autoscaling | codeDeployRollback | CodeDeploy (pipeline), as AWS says
    created: datetime | None
    completed: datetime | None
    error: str  # errorInformation: "CODE: message"
    lifecycle: tuple[LifecycleEvent, ...]
    task_sets: tuple[TaskSetState, ...]
    wait: Wait | None
    rollback_of: str = ""  # this deployment rolls back that one
    rolled_back_by: str = ""  # that deployment rolled this one back
    task_definition: str = ""  # the green revision, family:revision


# -- load balancer and service --------------------------------------------------------------


@dataclass(frozen=True)
class ListenerWeights:
    role: str  # production | test
    port: int
    weights: tuple[tuple[str, int], ...]  # (target group name, weight) as the listener forwards


@dataclass(frozen=True)
class TargetCounts:
    target_group: str
    healthy: int = 0
    unhealthy: int = 0
    initial: int = 0
    draining: int = 0
    other: int = 0  # unused, unavailable
    reasons: tuple[str, ...] = ()  # distinct TargetHealth.Description of the unhealthy ones


@dataclass(frozen=True)
class ServiceEvent:
    at: datetime | None
    message: str


@dataclass(frozen=True)
class StoppedTask:
    task: str  # task id
    task_definition: str
    stopped_at: datetime | None
    reason: str  # stoppedReason, then each container's reason


@dataclass(frozen=True)
class LogLine:
    at: datetime | None
    stream: str
    message: str


@dataclass(frozen=True)
class ServiceState:
    status: str  # ACTIVE | DRAINING | INACTIVE | MISSING
    desired: int
    running: int
    pending: int
    deployment_controller: str  # CODE_DEPLOY expected
    events: tuple[ServiceEvent, ...] = ()  # newest first, at most 10
    stopped_tasks: tuple[StoppedTask, ...] = ()  # newest first, at most 5


# -- the whole ------------------------------------------------------------------------------


class Health(enum.StrEnum):
    """One word for the stack, which also decides `bluegreen status`'s exit code."""

    IDLE = "idle"  # nothing running, the last deployment (if any) succeeded
    DEPLOYING = "deploying"  # an execution or deployment is in progress
    WAITING = "waiting"  # a deployment waits for a person (a STOP_DEPLOYMENT ready wait: continue it)
    FAILED = "failed"  # the latest execution or deployment failed or was stopped
    MISSING = "missing"  # the stack (its pipeline) is not there


EXIT_CODES: dict[Health, int] = {  # docs/monitor.md: for scripts
    Health.IDLE: 0,
    Health.DEPLOYING: 3,
    Health.WAITING: 4,
    Health.FAILED: 5,
    Health.MISSING: 6,
}


@dataclass(frozen=True)
class Snapshot:
    target: WatchTarget
    taken_at: datetime
    health: Health
    executions: tuple[Execution, ...]  # newest first
    selected: str | None  # the execution whose stages are shown (the newest unless picked)
    stages: tuple[StageState, ...]
    deployment: Deployment | None  # of the selected execution, else the group's newest
    listeners: tuple[ListenerWeights, ...]
    targets: tuple[TargetCounts, ...]
    service: ServiceState | None
    logs: tuple[LogLine, ...] = ()  # oldest first, the newest tasks' last lines
    notices: tuple[str, ...] = ()  # quiet one-liners: "AWS is throttling: polling every 12 s"
    errors: tuple[str, ...] = ()  # parts that could not be read this time, with why
    generation: int = 0  # increases with every poll
    interval_s: float = 0.0  # the poller's current pace: how often this mode's essential part is read
    calls_per_minute: float = 0.0  # API calls in the last minute (the budget's meter)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.health]

    @property
    def traffic(self) -> tuple[float, float]:
        """(blue %, green %) of production traffic as the production listener forwards it.

        Green is the target group of the deployment's Green (replacement) task set, blue the
        other: CodeDeploy swaps the two groups' roles on every deployment, so the names in the
        config say nothing about which is live. With no deployment known, the group carrying
        the traffic is blue. A deployment that ended well therefore reads 0/100, a rollback 100/0.
        """
        listener = next((lst for lst in self.listeners if lst.role == "production"), None)
        if listener is None or not listener.weights:
            return 0.0, 0.0
        weights = dict(listener.weights)
        total = sum(weights.values())
        if total <= 0:
            return 0.0, 0.0
        green_group = ""
        if self.deployment is not None:
            green_group = next((ts.target_group for ts in self.deployment.task_sets if ts.label == "Green"), "")
        if not green_group:
            live = max(weights, key=lambda name: weights[name])
            green_group = next((name for name in weights if name != live), "")
        green = 100.0 * weights.get(green_group, 0) / total
        return 100.0 - green, green

    def to_json(self) -> dict[str, Any]:
        """The JSON of `bluegreen status --json`: every field, times in ISO 8601."""
        out: dict[str, Any] = _plain(self)
        out["exitCode"] = self.exit_code
        return out


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {_camel(f.name): _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)

